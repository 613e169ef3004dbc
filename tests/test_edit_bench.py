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
