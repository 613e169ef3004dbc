"""Entry point of the frozen bundle: the same `teleop-studio` command the pip install gives."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
