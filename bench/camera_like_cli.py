"""`teleop-studio` whose simulated rig films camera-like content (bench/camera_like.py) instead of its
flat synthetic scene; the rest (servo buses, spool, encoder, commits) is the real CLI, unchanged.

    python bench/camera_like_cli.py --log-level WARNING record --sim --root DS --episodes 2 ...

For benches that drive the CLI as a subprocess (kill_trials).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import app.rig.rig as rig_module  # noqa: E402
from app.cli import main  # noqa: E402
from bench.camera_like import use_camera_like  # noqa: E402

_build_sim_rig = rig_module.build_sim_rig


def _camera_like_sim_rig(*args, **kwargs):
    rig = _build_sim_rig(*args, **kwargs)
    use_camera_like(rig)
    return rig


rig_module.build_sim_rig = _camera_like_sim_rig  # commands import it from app.rig.rig when they run

if __name__ == "__main__":
    sys.exit(main())
