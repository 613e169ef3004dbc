"""The remote-read worker pool: latest wins per channel, stale work is skipped or dropped."""

from __future__ import annotations

import threading

from app.hub.search import find_local, search_hub
from app.hub.tasks import TaskPool, check_cancelled
from tests.hub_fixtures import hub  # noqa: F401


def test_fast_submissions_cancel_stale_work():
    pool = TaskPool(workers=1)
    gate = threading.Event()
    results = []
    first = pool.submit(gate.wait, 5, channel="frame", done=lambda t: results.append("first"))
    tasks = [pool.submit(lambda i=i: i, channel="frame", done=lambda t: results.append(t.result))
             for i in range(20)]
    other = pool.submit(lambda: "other", channel="plot", done=lambda t: results.append(t.result))
    gate.set()
    assert tasks[-1].wait(5) and other.wait(5)
    assert first.cancelled and all(t.cancelled for t in tasks[:-1])
    assert results == ["other", 19] or results == [19, "other"]
    assert pool.stats["skipped"] == 19 and pool.stats["dropped"] == 1
    pool.shutdown()


def test_running_task_stops_at_its_next_check():
    pool = TaskPool(workers=1)
    steps, started = [], threading.Event()

    def long_job():
        for i in range(1000):
            started.set()
            check_cancelled()
            steps.append(i)
            threading.Event().wait(0.002)

    job = pool.submit(long_job, channel="prefetch")
    started.wait(2)
    pool.cancel_channel("prefetch")
    assert job.wait(2) and len(steps) < 1000 and pool.stats["completed"] == 0
    pool.shutdown()


def test_search_puts_lerobot_first_and_finds_local(hub, fixtures_dir, tmp_path):  # noqa: F811
    hub.add_dataset("fixtures/a_plain", tmp_path, card_tags=())
    found = search_hub("", "fixtures", endpoint=hub.endpoint, token=False)
    assert [d.repo_id for d in found][-1] == "fixtures/a_plain" and found[0].lerobot
    assert [d.repo_id for d in search_hub("state", endpoint=hub.endpoint, token=False)] == ["fixtures/state_only_2ep"]
    local = find_local([(fixtures_dir, "recent")])
    assert sorted(d.root.name for d in local) == ["lerobot_bi_so101_2ep", "lerobot_so101_3ep", "lerobot_state_only_2ep"]
    assert {d.episodes for d in local} == {2, 3}
