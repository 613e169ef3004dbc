"""DatasetReader.close() while other threads scrub frames (issue 17 item 5): no crash, reads in
progress finish, later reads raise a clean "closed" error."""

from __future__ import annotations

import threading

import pytest

from app.dataset.errors import DatasetError
from app.dataset.reader import DatasetReader
from tests.hostile_helpers import make_dataset

CAM = "observation.images.front"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("close") / "ds", episodes=3, length=30, h=48, w=64)


@pytest.mark.parametrize("trial", range(6))
def test_close_while_threads_scrub(root, trial):
    r = DatasetReader(root)
    started, errors, frames = threading.Barrier(4), [], [0]

    def scrub(k):
        started.wait()
        try:
            for n in range(200):
                e = (n + k) % 3
                r.frame(e, CAM, (n * 7 + k) % 30)
                frames[0] += 1
        except DatasetError as exc:
            errors.append(str(exc))
        except Exception as exc:  # anything else is the bug
            errors.append(f"UNEXPECTED {type(exc).__name__}: {exc}")

    def run_through(k):
        started.wait()
        try:
            for _ in r.iter_frames(k % 3, CAM):
                frames[0] += 1
        except DatasetError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=scrub, args=(k,)) for k in range(2)]
    threads.append(threading.Thread(target=run_through, args=(2,)))
    for t in threads:
        t.start()
    started.wait()
    while frames[0] < 2 + trial * 3:
        pass
    r.close()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert not [e for e in errors if e.startswith("UNEXPECTED")], errors
    assert all("closed" in e for e in errors), errors
    with pytest.raises(DatasetError, match="closed"):
        r.frame(0, CAM, 0)
    r.close()                                  # twice is fine
