"""Headless subcommands of `teleop-studio` (see app/cli.py)."""
