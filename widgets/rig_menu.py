"""The main window's Rig menu: rig setup, motor setup, arm calibration and, on the simulated rig, keyboard
jogging of the simulated leader."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox


def install_rig_menu(window) -> None:
    """A "Rig" menu on the main window: rig setup, arm calibration and, on the simulated rig, keyboard
    jogging of the simulated leader (Alt+1..6 = +5 degrees, Alt+Shift+1..6 = -5; Alt+H holds it still)."""
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QMenu

    from widgets.calibration_wizard import CalibrationWizard
    from widgets.rig_setup import RigSetupDialog

    rig = window.rig
    help_menu = getattr(window, "help_menu", None)
    if help_menu is not None:  # Help stays the last menu
        menu = QMenu("&Rig", window)
        window.menuBar().insertMenu(help_menu.menuAction(), menu)
    else:
        menu = window.menuBar().addMenu("&Rig")
    sim = getattr(rig, "sim_buses", {}) if rig.simulated else {}
    sim_ports = [(f"{b.port}  [simulated {r}]", b.port) for r, b in sim.items()]

    def setup():
        dlg = RigSetupDialog(extra_ports=sim_ports, parent=window)
        if dlg.exec() and dlg.saved_path:
            QMessageBox.information(window, "Rig setup", f"Saved {dlg.saved_path}.\n"
                                    "Restart the studio to use this rig.")

    def calibrate():
        running = rig.running
        rig.teleop.stop()  # the wizard needs the serial port to itself
        try:
            from widgets.bimanual_setup import choose_arm

            arm = choose_arm(rig, window)  # a bimanual rig: which of its four arms
            if arm is not None:
                role, port, arm_id = arm
                CalibrationWizard(role, port, arm_id, extra_ports=sim_ports, parent=window).exec()
        finally:
            if running:
                rig.teleop.start()

    def setup_motors():
        from widgets.motor_setup_wizard import MotorSetupWizard

        running = rig.running
        rig.teleop.stop()  # in case the wizard is pointed at one of this rig's ports
        try:
            MotorSetupWizard(extra_ports=sim_ports, parent=window).exec()
        finally:
            if running:
                rig.teleop.start()

    for text, slot in (("Rig &setup…", setup), ("Set up &motors…", setup_motors),
                       ("&Calibrate an arm…", calibrate)):
        action = QAction(text, window)
        action.triggered.connect(slot)
        menu.addAction(action)
    leader = sim.get("leader") or sim.get("left leader")
    if leader is None:
        return
    menu.addSeparator()
    hold = QAction("&Hold the simulated leader still", window, checkable=True)
    hold.setShortcut(QKeySequence("Alt+H"))
    hold.toggled.connect(lambda on: leader.move_by_hand("hold" if on else "leader"))
    menu.addAction(hold)
    jog = menu.addMenu("&Jog the simulated leader")
    from app.rig.samples import JOINT_NAMES

    for k, joint in enumerate(JOINT_NAMES):
        for sign, mod in ((1, "Alt"), (-1, "Alt+Shift")):
            a = QAction(f"{joint} {'+' if sign > 0 else '-'}5", window)
            a.setShortcut(QKeySequence(f"{mod}+{k + 1}"))
            a.triggered.connect(lambda _=False, k=k, d=5.0 * sign: leader.jog(k, d))
            jog.addAction(a)
    window.rig_menu = menu
