"""Giving new servos their id and baud rate, one motor on the bus at a time, as lerobot-setup-motors does.

New STS3215 servos all leave the factory as id 1, so an arm's six must be set up one by one with only
that motor wired to the controller board. The order and the steps are lerobot 0.6.1's
(so_follower.setup_motors / so_leader.setup_motors -> MotorsBus.setup_motor): motors in reverse order,
gripper first; find the single motor by broadcast ping at each baud rate Feetech servos support;
check its model number; Torque_Enable 0 and Lock 0 on its current id; write ID, then Baud_Rate
(1,000,000) on the new id; continue at 1,000,000 baud.

On top of lerobot: a second servo on the bus (another id, or the same id talking over the first)
and a bus with no servo at all give a sentence that says what to do, and the result is checked by
pinging the new id.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.rig.feetech_bus import BusError, FeetechBus
from app.rig.sts3215 import BAUDRATE_CODES, DEFAULT_BAUDRATE, MODEL_NUMBER_STS3215, SO101_MOTORS

ARMS = {"so101-follower": "follower", "so101-leader": "leader", "so100-follower": "follower",
        "so100-leader": "leader"}
# lerobot's --robot.type / --teleop.type names
LEROBOT_TYPES = {"so101_follower": "so101-follower", "so100_follower": "so100-follower",
                 "so101_leader": "so101-leader", "so100_leader": "so100-leader"}


class MotorSetupError(RuntimeError):
    pass


@dataclass(frozen=True)
class MotorSetupResult:
    joint: str
    old_id: int
    old_baudrate: int
    new_id: int

    def sentence(self) -> str:
        was = f"id {self.old_id} at {self.old_baudrate:,} baud"
        return f"'{self.joint}' motor id set to {self.new_id} (was {was}), 1,000,000 baud"


def setup_order(motors: dict[str, int] = SO101_MOTORS) -> list[str]:
    """lerobot's order: `for motor in reversed(self.bus.motors)` - gripper first, shoulder_pan last."""
    return list(reversed(list(motors)))


class MotorSetup:
    """Opens the port per motor (the teleoperator rewires the board in between)."""

    def __init__(self, port: str, motors: dict[str, int] = SO101_MOTORS, ping_wait: float = 0.06):
        self.port, self.motors, self.ping_wait = port, dict(motors), ping_wait

    def setup_motor(self, joint: str) -> MotorSetupResult:
        target = self.motors[joint]
        bus = FeetechBus(self.port, baudrate=DEFAULT_BAUDRATE, timeout=0.05, retries=2)
        try:
            bus.open()
        except BusError as exc:
            raise MotorSetupError(f"{exc} (is the controller board plugged in? `teleop-studio find-port`)") from exc
        try:
            baudrate, old_id = self._find_single_motor(bus, joint)
            bus.set_baudrate(baudrate)
            bus.write(old_id, "Torque_Enable", 0)
            bus.write(old_id, "Lock", 0)
            bus.write(old_id, "ID", target)
            bus.write(target, "Baud_Rate", BAUDRATE_CODES[DEFAULT_BAUDRATE])
            bus.set_baudrate(DEFAULT_BAUDRATE)
            if not bus.ping(target):
                raise MotorSetupError(f"'{joint}': the motor does not answer as id {target} at 1,000,000 baud "
                                      "after the change; power it off and on and try again")
        except BusError as exc:
            raise MotorSetupError(f"'{joint}': {exc}") from exc
        finally:
            bus.close()
        return MotorSetupResult(joint, old_id, baudrate, target)

    def _find_single_motor(self, bus: FeetechBus, joint: str) -> tuple[int, int]:
        garbled = False
        for baudrate in BAUDRATE_CODES:  # lerobot's model_baudrate_table order: 1,000,000 first
            bus.set_baudrate(baudrate)
            found, corrupt = bus.broadcast_ping(self.ping_wait)
            garbled |= corrupt > 0
            if len(found) > 1:
                raise MotorSetupError(f"{len(found)} servos answer on {self.port} (ids {sorted(found)} at "
                                      f"{baudrate:,} baud): connect the controller board to the '{joint}' "
                                      "motor only")
            if not found:
                continue
            servo_id = next(iter(found))
            if self._talks_over(bus, servo_id):
                raise MotorSetupError(f"more than one servo answers as id {servo_id} on {self.port}: connect "
                                      f"the controller board to the '{joint}' motor only")
            model = bus.read(servo_id, "Model_Number")
            if model != MODEL_NUMBER_STS3215:
                raise MotorSetupError(f"the servo found (id {servo_id}) has model number {model}, not "
                                      f"{MODEL_NUMBER_STS3215} (STS3215): is this the '{joint}' motor?")
            return baudrate, servo_id
        if garbled:
            raise MotorSetupError(f"answers on {self.port} arrive garbled: several servos share an id; connect "
                                  f"the controller board to the '{joint}' motor only")
        raise MotorSetupError(f"no servo answers on {self.port} at any baud rate: connect the '{joint}' motor "
                              "to the controller board and switch its power supply on")

    @staticmethod
    def _talks_over(bus: FeetechBus, servo_id: int) -> bool:
        """Servos sharing an id answer together; where they disagree (their positions differ), the
        answer is garbled. A single servo answers cleanly every time."""
        for _ in range(3):
            try:
                bus.read_raw(servo_id, *_PRESENT_POSITION)
            except BusError:
                return True
        return False


_PRESENT_POSITION = (56, 2)
