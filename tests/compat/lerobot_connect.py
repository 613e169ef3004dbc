"""Opt-in (needs the lerobot-compat venv; pipe `yes ""` for lerobot's calibration prompt): lerobot 0.6.1's
SO101Follower/SO101Leader.connect() and the studio's FeetechArm.connect() against the same fresh simulated
servos; the configure() writes must be the same sequence and every register the same afterwards.
The simulation runs on a thread of this process: on a heavily loaded machine lerobot's ~50 ms packet
timeout can expire ("There is no status packet!"); run it again."""
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
failed = False
cal = tempfile.mkdtemp()
os.environ["HF_LEROBOT_CALIBRATION"] = cal
from app.rig import calibration
from app.rig.sim_servo_bus import SimServoBus
from app.rig.so101_arm import FeetechArm
from app.rig.sts3215 import REGISTERS

names = {a: n for n, (a, _) in REGISTERS.items()}
out = {}
for role in ("follower", "leader"):
    sim = SimServoBus(role)
    calibration.save_calibration(calibration.calibration_path(role, "x"), sim.factory_calibration())
    if role == "follower":
        from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig
        dev = SO101Follower(SO101FollowerConfig(port=sim.port, id="x"))
    else:
        from lerobot.teleoperators.so_leader import SO101Leader, SO101LeaderConfig
        dev = SO101Leader(SO101LeaderConfig(port=sim.port, id="x"))
    dev.connect()
    lr = [(i, names[a], v) for i, a, v in sim.writes]
    regs = {i: {n: s.get(n) for n in REGISTERS} for i, s in sim.servos.items()}
    dev.bus.port_handler.closePort()
    sim.close()
    sim = SimServoBus(role)
    arm = FeetechArm(role, role, sim.port, arm_id="x")
    arm.connect()
    ours = [(i, names[a], v) for i, a, v in sim.writes]
    regs2 = {i: {n: s.get(n) for n in REGISTERS} for i, s in sim.servos.items()}
    arm.bus.close()
    sim.close()
    print(role, "lerobot writes", len(lr), "ours", len(ours))
    def strip(seq):  # the configure() part: from the torque-off/unlock pass before Return_Delay_Time
        seq = [w for w in seq if w[1] != "Goal_Position"]
        k = next(k for k, w in enumerate(seq) if w[1] == "Return_Delay_Time")
        return seq[k - 12:]
    print(" same sequence (without Goal_Position):", strip(lr) == strip(ours))
    if strip(lr) != strip(ours):
        print(" LR", strip(lr)); print(" US", strip(ours))
    diff = {(i, n): (regs[i][n], regs2[i][n]) for i in regs for n in REGISTERS if regs[i][n] != regs2[i][n] and n not in ("Present_Position", "Goal_Position", "Moving")}
    print(" register differences after connect:", diff)
    failed |= bool(diff) or strip(lr) != strip(ours)
sys.exit(1 if failed else 0)
