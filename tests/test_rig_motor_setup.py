"""setup-motors on simulated factory-new servos (all id 1): ids and baud rate set as lerobot does, one
motor wired at a time; a second servo on the bus or none gives a clear sentence."""

import argparse

import pytest

from app.cli import build_parser
from app.commands import setup_motors
from app.rig.feetech_bus import FeetechBus
from app.rig.motor_setup import MotorSetup, MotorSetupError, setup_order
from app.rig.sim_servo_bus import SimServoBus
from app.rig.sts3215 import SO101_MOTORS


@pytest.fixture
def factory():
    sim = SimServoBus("follower", factory=True)
    yield sim
    sim.close()


def test_command_line_sets_every_id_one_motor_at_a_time_gripper_first(factory, capsys):
    assert all(s.id == 1 for s in factory.servos.values())
    factory.servos[5].put("Lock", 0)
    factory.servos[5].put("Baud_Rate", 4)  # one servo arrives at 115,200 baud: found by scanning rates
    factory.servos[5].saved_eeprom[6] = 4
    prompts = []

    def person(prompt):  # reads the prompt, wires the motor it names, presses Enter
        prompts.append(prompt)
        joint = prompt.split("'")[1]
        factory.connect_motors([SO101_MOTORS[joint]])
        return ""

    args = build_parser().parse_args(["setup-motors", "--robot.type=so101_follower", "--robot.port", factory.port])
    assert setup_motors.run(args, ask=person) == 0
    assert [p.split("'")[1] for p in prompts] == ["gripper", "wrist_roll", "wrist_flex", "elbow_flex",
                                                  "shoulder_lift", "shoulder_pan"] == setup_order()
    out = capsys.readouterr().out
    assert "'wrist_roll' motor id set to 5 (was id 1 at 115,200 baud)" in out and "All six" in out
    factory.connect_motors(SO101_MOTORS.values())
    factory.unplug()
    factory.replug()  # power cycle: ids and baud rate were written with the EEPROM unlocked, so they stay
    with FeetechBus(factory.port) as bus:
        assert bus.scan(range(1, 8)) == [1, 2, 3, 4, 5, 6]
        assert [bus.read(i, "Baud_Rate") for i in range(1, 7)] == [0] * 6
    assert [s.id for s in factory.servos.values()] == [1, 2, 3, 4, 5, 6]


def test_two_servos_on_the_bus_or_none_give_a_clear_sentence(factory):
    setup = MotorSetup(factory.port)
    factory.connect_motors([6, 5])  # two new servos, both id 1: they talk over each other
    with pytest.raises(MotorSetupError, match="more than one servo answers as id 1.*'gripper' motor only"):
        setup.setup_motor("gripper")
    factory.connect_motors([6])
    assert setup.setup_motor("gripper").new_id == 6
    factory.connect_motors([6, 5])  # the gripper (now id 6) is still wired when the next one is plugged
    with pytest.raises(MotorSetupError, match=r"2 servos answer .*ids \[1, 6\].*'wrist_roll' motor only"):
        setup.setup_motor("wrist_roll")
    factory.connect_motors([])
    with pytest.raises(MotorSetupError, match="no servo answers on .* connect the 'wrist_roll' motor"):
        setup.setup_motor("wrist_roll")
    assert factory.servos[5].id == 1  # nothing was written to the servo left unplugged


def test_flags_are_checked_before_touching_a_port(tmp_path, capsys):
    parse = build_parser().parse_args
    assert setup_motors.run(parse(["setup-motors", "--arm", "so101-leader"])) == 2
    assert "--port" in capsys.readouterr().err
    assert setup_motors.run(parse(["setup-motors", "--teleop.type", "koch_leader", "--teleop.port", "x"])) == 2
    assert "not an SO-100/SO-101 arm" in capsys.readouterr().err
    missing = str(tmp_path / "ttyACM9")
    answers = iter(["", "q"])
    code = setup_motors.run(parse(["setup-motors", "--port", missing, "--arm", "so101-leader"]),
                            ask=lambda _: next(answers))
    assert code == 2 and f"cannot open {missing}" in capsys.readouterr().out
    assert isinstance(parse(["setup-motors", "--port", "p", "--arm", "so101-follower"]), argparse.Namespace)


def test_wizard_sets_up_the_six_motors_as_the_teleoperator_rewires_the_board(qtbot, factory):
    from widgets.motor_setup_wizard import MotorSetupWizard

    dlg = MotorSetupWizard(factory.port)
    qtbot.addWidget(dlg)
    factory.connect_motors([6, 5])
    dlg.go.click()
    qtbot.waitUntil(lambda: dlg.go.isEnabled(), timeout=10000)
    assert "more than one servo" in dlg.message.text() and dlg.current == 0
    for joint in setup_order():
        assert f"'{joint}' motor only" in dlg.instruction.text()
        factory.connect_motors([SO101_MOTORS[joint]])
        dlg.go.click()
        qtbot.waitUntil(lambda: dlg._pending is None, timeout=10000)
        assert "id set to" in dlg.motors.item(setup_order().index(joint)).text(), dlg.message.text()
    assert "All six" in dlg.instruction.text() and not dlg.go.isEnabled()
    assert [s.id for s in factory.servos.values()] == [1, 2, 3, 4, 5, 6]
    dlg.accept()


def test_rig_menu_offers_the_motor_setup_wizard(qtbot):
    from PySide6.QtWidgets import QMainWindow

    from widgets.rig_setup import install_rig_menu

    class Window(QMainWindow):
        rig = argparse.Namespace(simulated=False, running=False, follower=None)

    w = Window()
    qtbot.addWidget(w)
    install_rig_menu(w)
    assert "Set up &motors…" in [a.text() for a in w.menuBar().actions()[0].menu().actions()]


def test_sim_bus_factory_mode_and_its_plug_command(factory, capsys, monkeypatch):
    import io

    from app.commands import sim_bus

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # started from a script: no commands typed
    from app.rig.samples import JOINT_NAMES

    assert factory.connected_motors == {6}  # the gripper first, as setup-motors asks for it
    assert sim_bus._command(["plug", "wrist_roll", "3"], {"follower": factory}, factory, JOINT_NAMES) is False
    assert factory.connected_motors == {5, 3}
    args = build_parser().parse_args(["sim-bus", "--factory", "--role", "follower", "--seconds", "0.01"])
    assert args.factory and sim_bus.run(args) == 0
    assert "new servos, all id 1, wired: gripper" in capsys.readouterr().out
