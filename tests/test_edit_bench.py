"""bench/edit.py's lines on the scoreboard: figures when lerobot ran, "not measured" when it did not."""

from __future__ import annotations

from bench import scoreboard as sb

RAN = """delete 3 of 300 episodes: studio 2.17 s, lerobot 51.70 s, speed-up 23.8x
merge 300 + 60: studio 2.40 s, lerobot 39.91 s, speed-up 16.6x
kept episodes' video packets changed: studio 0 of 2970, lerobot 2970 of 2970
frames re-encoded on keyframe cuts: studio 0
"""
ABSENT = """delete 3 of 300 episodes: studio 2.17 s, lerobot not measured, speed-up not measured
merge 300 + 60: studio 2.40 s, lerobot not measured, speed-up not measured
kept episodes' video packets changed: studio 0 of 2970, lerobot not measured
frames re-encoded on keyframe cuts: studio 0
"""


def rows(stdout: str) -> dict:
    bench = next(b for b in sb.BENCHES if b.name == "edit")
    o = sb.Outcome(bench.name, "quick", True, 0, 1.0, sb.parse(bench, stdout, {}), when="now")
    return {r[1]: r[3:5] for r in sb.rows({bench.name: o.__dict__})}


def test_edit_figures_and_not_measured():
    ran = rows(RAN)
    assert ran["delete 3 of 300 episodes (640x480 camera-like): lerobot-edit-dataset / ours"] == ("23.8x", "pass")
    assert ran["merge two datasets: lerobot-edit-dataset / ours"] == ("16.6x", "pass")
    assert ran["frames re-encoded when cuts fall on keyframes"] == ("0", "pass")
    absent = rows(ABSENT)
    assert absent["merge two datasets: lerobot-edit-dataset / ours"] == ("not measured", "not measured")
    assert absent["lerobot: kept episodes' video packets changed"][0] == "not measured"
    assert absent["frames re-encoded when cuts fall on keyframes"] == ("0", "pass")


def test_edit_subcommand_starts_without_the_other_subcommands_flags():
    """Start-up is most of a short edit's time: `teleop-studio edit` builds only its own parser."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = ("import sys\nfrom app.cli import main\ntry:\n    main(['edit', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith(('app.commands.', 'app.rig.')))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    loaded = out.strip().splitlines()[-1].split(",")
    assert "app.commands.edit" in loaded
    assert "app.commands.lerobot_bimanual" not in loaded and "app.rig.bimanual" not in loaded
    assert "app.commands.push" not in loaded and "app.commands.setup_motors" not in loaded
