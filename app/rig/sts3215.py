"""Control table of the Feetech STS3215 (the SO-100/SO-101 servo): name -> (address, size in bytes).

Addresses as in Feetech's STS/SMS memory table (and lerobot's motors/feetech/tables.py).
Addresses below 40 are EEPROM: written only while Lock (55) is 0, kept across power cycles.
On the servo, Present_Position = actual encoder position - Homing_Offset.
"""

from __future__ import annotations

MODEL_NUMBER_STS3215 = 777
RESOLUTION = 4096  # encoder steps per turn
DEFAULT_BAUDRATE = 1_000_000
BAUDRATE_CODES = {1_000_000: 0, 500_000: 1, 250_000: 2, 128_000: 3, 115_200: 4, 57_600: 5, 38_400: 6, 19_200: 7}

REGISTERS: dict[str, tuple[int, int]] = {
    # EEPROM
    "Firmware_Major_Version": (0, 1),
    "Firmware_Minor_Version": (1, 1),
    "Model_Number": (3, 2),
    "ID": (5, 1),
    "Baud_Rate": (6, 1),
    "Return_Delay_Time": (7, 1),
    "Response_Status_Level": (8, 1),
    "Min_Position_Limit": (9, 2),
    "Max_Position_Limit": (11, 2),
    "Max_Temperature_Limit": (13, 1),
    "Max_Voltage_Limit": (14, 1),
    "Min_Voltage_Limit": (15, 1),
    "Max_Torque_Limit": (16, 2),
    "Phase": (18, 1),
    "Unloading_Condition": (19, 1),
    "LED_Alarm_Condition": (20, 1),
    "P_Coefficient": (21, 1),
    "D_Coefficient": (22, 1),
    "I_Coefficient": (23, 1),
    "Minimum_Startup_Force": (24, 2),
    "CW_Dead_Zone": (26, 1),
    "CCW_Dead_Zone": (27, 1),
    "Protection_Current": (28, 2),
    "Angular_Resolution": (30, 1),
    "Homing_Offset": (31, 2),
    "Operating_Mode": (33, 1),
    "Protective_Torque": (34, 1),
    "Protection_Time": (35, 1),
    "Overload_Torque": (36, 1),
    # SRAM
    "Torque_Enable": (40, 1),
    "Acceleration": (41, 1),
    "Goal_Position": (42, 2),
    "Goal_Time": (44, 2),
    "Goal_Velocity": (46, 2),
    "Torque_Limit": (48, 2),
    "Lock": (55, 1),
    "Present_Position": (56, 2),
    "Present_Velocity": (58, 2),
    "Present_Load": (60, 2),
    "Present_Voltage": (62, 1),
    "Present_Temperature": (63, 1),
    "Status": (65, 1),
    "Moving": (66, 1),
    "Present_Current": (69, 2),
    "Maximum_Acceleration": (85, 1),
}
EEPROM_END = 40  # addresses below this are EEPROM
READ_ONLY = {"Firmware_Major_Version", "Firmware_Minor_Version", "Model_Number", "Present_Position",
             "Present_Velocity", "Present_Load", "Present_Voltage", "Present_Temperature", "Status",
             "Moving", "Present_Current"}
SIGN_BITS = {"Homing_Offset": 11, "Goal_Velocity": 15, "Present_Velocity": 15}
MAX_HOMING_OFFSET = (1 << 11) - 1

# SO-100 / SO-101 arms: motor id -> joint, as lerobot's so_follower / so_leader
SO101_MOTORS = {"shoulder_pan": 1, "shoulder_lift": 2, "elbow_flex": 3, "wrist_flex": 4, "wrist_roll": 5,
                "gripper": 6}


def address(name: str) -> tuple[int, int]:
    try:
        return REGISTERS[name]
    except KeyError:
        raise KeyError(f"unknown STS3215 register {name!r}") from None
