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
    "Velocity_closed_loop_P_proportional_coefficient": (37, 1),
    "Over_Current_Protection_Time": (38, 1),
    "Velocity_closed_loop_I_integral_coefficient": (39, 1),
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
# sign-magnitude registers and their sign bit, as lerobot's STS_SMS_SERIES_ENCODINGS_TABLE
SIGN_BITS = {"Present_Load": 10, "Homing_Offset": 11, "Goal_Position": 15, "Goal_Velocity": 15,
             "Present_Position": 15, "Present_Velocity": 15}
MAX_HOMING_OFFSET = (1 << 11) - 1

# What a new STS3215 holds when it leaves the factory (Feetech's STS memory table; Return_Delay_Time 250 is
# the 500 us reply delay lerobot's configure_motors() comments on; Phase 28 has bit 4 set, the multi-turn
# angle feedback lerobot clears). SRAM registers not listed power up at 0; Torque_Limit is loaded from
# Max_Torque_Limit and Lock powers up at 1.
FACTORY: dict[str, int] = {
    "Firmware_Major_Version": 3, "Firmware_Minor_Version": 10, "Model_Number": MODEL_NUMBER_STS3215, "ID": 1,
    "Baud_Rate": 0, "Return_Delay_Time": 250, "Response_Status_Level": 1, "Min_Position_Limit": 0,
    "Max_Position_Limit": RESOLUTION - 1, "Max_Temperature_Limit": 70, "Max_Voltage_Limit": 140,
    "Min_Voltage_Limit": 40, "Max_Torque_Limit": 1000, "Phase": 28, "Unloading_Condition": 44,
    "LED_Alarm_Condition": 47, "P_Coefficient": 32, "D_Coefficient": 32, "I_Coefficient": 0,
    "Minimum_Startup_Force": 16, "CW_Dead_Zone": 1, "CCW_Dead_Zone": 1, "Protection_Current": 500,
    "Angular_Resolution": 1, "Homing_Offset": 0, "Operating_Mode": 0, "Protective_Torque": 20,
    "Protection_Time": 200, "Overload_Torque": 80, "Velocity_closed_loop_P_proportional_coefficient": 10,
    "Over_Current_Protection_Time": 200, "Velocity_closed_loop_I_integral_coefficient": 200,
    "Maximum_Acceleration": 150,
}

# SO-100 / SO-101 arms: motor id -> joint, as lerobot's so_follower / so_leader
SO101_MOTORS = {"shoulder_pan": 1, "shoulder_lift": 2, "elbow_flex": 3, "wrist_flex": 4, "wrist_roll": 5,
                "gripper": 6}


def address(name: str) -> tuple[int, int]:
    try:
        return REGISTERS[name]
    except KeyError:
        raise KeyError(f"unknown STS3215 register {name!r}") from None
