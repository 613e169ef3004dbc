"""Devices: cameras and arms, their simulated twins, and the teleop loop that drives them."""
