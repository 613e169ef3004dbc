"""Push a recorded dataset to the Hub: repo, committed files, card, `v3.0` tag; resumable, cancellable.

    push = Push(PushOptions(root, "user/name", private=None))   # None: the owner's default visibility
    push.start(); ...; push.progress   # or push.run() to block;  push.cancel()

Steps: token check (whoami) -> create the repo if needed (private, public, or the organisation's default
when `private` is None) -> freeze the committed files (push_files.take_snapshot) and add a generated
README.md card -> hash (cached) -> ask the Hub which paths already hold the same content (paths-info) ->
send the changed files one by one with `HfApi.preupload_lfs_files` (push_transfer: Xet, or LFS with byte
counts, falling back to LFS when Xet cannot start) -> one `create_commit` of every changed file (the
pushed revision is always a whole dataset) -> delete and re-create the `v3.0` tag on it.

Only huggingface_hub's public API is used. Resuming needs no commit: sent blobs stay in the Hub's storage
and `.studio/push/sent.json` lists them, so a new push skips them. Transient failures (network, 5xx, 429)
are retried with back-off; after the last retry the message says that pushing again resumes.
Without write access to the repo (403), `create_pr=True` opens a Hub pull request with the same files
instead (no tag: the maintainer merges it). The token comes from huggingface_hub (`hf auth login` or
HF_TOKEN) and is never stored or printed.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from app.hub.card import build_card
from app.hub.errors import _redact
from app.hub.push_errors import PushCancelled, PushError, _chain, explain_push, is_transient, no_write_access
from app.hub.push_files import PUSH_DIR, HashCache, LocalFile, take_snapshot
from app.hub.push_transfer import LFS, XET, Sender, SentRecord, Tally, fallback_notice, xet_enabled

log = logging.getLogger(__name__)
TAG = "v3.0"
NO_TOKEN = ("No Hugging Face token found. Log in with `hf auth login` (a token with write access) "
            "or set the HF_TOKEN environment variable, then push again.")


@dataclass
class PushOptions:
    root: Path
    repo_id: str
    private: bool | None = None           # None: the owner's default (an organisation may make repos private)
    branch: str = "main"
    tags: tuple[str, ...] = ()
    endpoint: str | None = None
    token: str | None = None              # None: huggingface_hub's get_token() (hf auth login / HF_TOKEN)
    workers: int = 4
    retries: int = 4                      # after the first failure; back-off 2, 4, 8, 16 s
    sleep: Callable[[float], None] = time.sleep
    message: str = "Upload dataset from Teleop Studio"
    create_pr: bool = False               # open a pull request on an existing repo instead of committing


@dataclass
class PushProgress:
    # checking token|creating repo|preparing|hashing|uploading|committing|tagging|done|failed|cancelled
    phase: str = "waiting"
    files_total: int = 0     # files to send this push (changed and not already on the Hub)
    files_done: int = 0
    bytes_total: int = 0
    bytes_done: int = 0
    unchanged: int = 0       # identical on the Hub already
    resumed: int = 0         # blobs a previous, interrupted push had already sent
    speed: float = 0.0       # bytes/s over the last seconds
    transport: str = ""      # "Xet" or "LFS" (push_transfer)
    notice: str = ""         # one line worth telling once, e.g. the fall back from Xet to LFS
    elapsed: float = 0.0
    message: str = ""

    @property
    def eta(self) -> float | None:
        left = self.bytes_total - self.bytes_done
        return left / self.speed if self.speed > 0 and left > 0 else (0.0 if left <= 0 else None)

    @property
    def finished(self) -> bool:
        return self.phase in ("done", "failed", "cancelled")


@dataclass
class PushResult:
    repo_id: str
    commit: str
    url: str
    uploaded: list[str] = field(default_factory=list)     # paths whose bytes were sent
    committed: list[str] = field(default_factory=list)    # paths in the new commit
    unchanged: int = 0
    resumed: int = 0
    bytes_sent: int = 0
    seconds: float = 0.0
    pr_url: str | None = None                             # the pull request opened (create_pr)


class Push:
    def __init__(self, options: PushOptions, on_progress: Callable[[PushProgress], None] | None = None):
        self.options = replace(options, root=Path(options.root))
        self.on_progress = on_progress
        self._progress = PushProgress()
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._samples: deque = deque(maxlen=50)
        self._t0 = time.monotonic()
        self.thread: threading.Thread | None = None
        self.result: PushResult | None = None
        self.error: str | None = None
        self.can_open_pr = False           # the push failed for lack of write access to an existing repo
        self.done = threading.Event()
        self.transport = XET if xet_enabled() else LFS

    # -- control ----------------------------------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def progress(self) -> PushProgress:
        with self._lock:
            p = replace(self._progress, elapsed=time.monotonic() - self._t0)
        if self._samples and time.monotonic() - self._samples[-1][0] > 3:
            p.speed = 0.0
        return p

    def start(self) -> threading.Thread:
        self.thread = threading.Thread(target=self._run_quietly, name="hub-push", daemon=True)
        self.thread.start()
        return self.thread

    def _run_quietly(self) -> None:
        try:
            self.run()
        except PushError:
            pass                         # already in self.error and the progress

    def _set(self, **kw) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self._progress, k, v)
        if self.on_progress:
            self.on_progress(self.progress)

    def _moved(self, now: float) -> None:
        """Speed over the last seconds; call with the lock held after bytes_done changed."""
        p = self._progress
        self._samples.append((now, p.bytes_done))
        while len(self._samples) > 2 and now - self._samples[0][0] > 5:
            self._samples.popleft()
        t, b = self._samples[0]
        p.speed = (p.bytes_done - b) / (now - t) if now - t > 0.05 else p.speed

    def _count(self, tally: Tally, pos: int) -> None:
        """A file object was read up to `pos` (push_transfer.CountingFile)."""
        with self._lock:
            if tally.done or pos <= tally.counted:
                return
            self._progress.bytes_done += pos - tally.counted
            tally.counted = pos
            self._moved(time.monotonic())
        if self.on_progress:
            self.on_progress(self.progress)

    def _finish(self, tally: Tally, earlier: bool) -> None:
        """A file reached the Hub; `earlier`: an interrupted push had sent it (unless it was read again)."""
        with self._lock:
            if tally.done:
                return
            tally.done = True
            p = self._progress
            if earlier:
                if tally.counted == 0:
                    return
                p.resumed -= 1                   # the Hub did not have it after all: it was sent again
                p.files_total += 1
                p.bytes_total += tally.size
            p.bytes_done += tally.size - tally.counted
            tally.counted = tally.size
            p.files_done += 1
            self._moved(time.monotonic())
        if self.on_progress:
            self.on_progress(self.progress)

    def _fell_back(self, exc: BaseException) -> None:
        with self._lock:
            first, self.transport = self.transport == XET, LFS
        if first:
            notice = fallback_notice(exc)
            log.warning("%s (%s: %s)", notice, type(exc).__name__, _redact(str(exc))[:300])
            self._set(transport=LFS, notice=notice, message=notice)

    def _check(self) -> None:
        if self.cancelled:
            raise PushCancelled("Push cancelled. Files already sent stay on the Hub; push again to resume.")

    # -- the push ---------------------------------------------------------------------------------
    def run(self) -> PushResult:
        o = self.options
        try:
            self.result = self._push()
            r = self.result
            self._set(phase="done", message=(
                f"Pushed to {o.repo_id} ({r.commit[:8]}), tagged {TAG}" if not o.create_pr else
                f"Opened a pull request on {o.repo_id}: {r.pr_url}" if r.pr_url else
                f"Nothing to propose: {o.repo_id} already holds these files."))
            return self.result
        except Exception as exc:
            if isinstance(exc, ImportError):
                raise
            cancelled = self.cancelled or any(isinstance(e, PushCancelled) for e in _chain(exc))
            self.error = ("Push cancelled. Files already sent stay on the Hub; push again to resume."
                          if cancelled else explain_push(exc, o.repo_id))
            self.can_open_pr = not cancelled and not o.create_pr and no_write_access(exc) and self._repo_exists()
            if self.can_open_pr:
                self.error += " You can open a pull request with your files instead."
            log.warning("push of %s to %s: %s", o.root, o.repo_id, self.error)
            self._set(phase="cancelled" if cancelled else "failed", message=self.error)
            error = (PushCancelled if cancelled else PushError)(self.error)
            error.can_open_pr = self.can_open_pr
            raise error from None
        finally:
            # the snapshot's links would keep old versions of files alive once the writer replaces them
            shutil.rmtree(o.root / PUSH_DIR / "snapshot", ignore_errors=True)
            self.done.set()

    def _repo_exists(self) -> bool:
        try:                    # only decides whether to offer a pull request
            return self._api().repo_exists(self.options.repo_id, repo_type="dataset")
        except Exception:       # noqa: BLE001
            return False

    def _api(self):
        from huggingface_hub import HfApi, constants, get_token

        o = self.options
        token = o.token or get_token()
        if not token:
            raise PushError(NO_TOKEN)
        return HfApi(endpoint=(o.endpoint or constants.ENDPOINT).rstrip("/"), token=token)

    def _push(self) -> PushResult:
        from huggingface_hub.utils import disable_progress_bars

        o = self.options
        disable_progress_bars()          # the studio shows its own progress
        self._set(phase="checking token", message="Checking the Hugging Face token")
        api = self._api()
        me = self._retrying(lambda: api.whoami())
        role = ((me.get("auth") or {}).get("accessToken") or {}).get("role")
        if role == "read":
            raise PushError(f"Your Hugging Face token ({me.get('name')}) is read-only: create a token with "
                            "write access and log in with `hf auth login`.")
        self._check()
        if o.create_pr:
            if not self._retrying(lambda: api.repo_exists(o.repo_id, repo_type="dataset")):
                raise PushError(f"{o.repo_id} does not exist on the Hub (or is not visible to you): a pull "
                                "request needs an existing dataset repo.")
        else:
            self._set(phase="creating repo", message=f"Creating {o.repo_id} if needed")
            self._retrying(lambda: api.create_repo(o.repo_id, repo_type="dataset", private=o.private,
                                                   exist_ok=True))
        if o.branch != "main" and not o.create_pr:
            self._retrying(lambda: api.create_branch(o.repo_id, branch=o.branch, repo_type="dataset",
                                                     exist_ok=True))
        self._set(phase="preparing", message="Freezing the committed episodes")
        files = take_snapshot(o.root)
        snap = o.root / PUSH_DIR / "snapshot"
        if not any(f.rel == "README.md" for f in files):
            card = snap / "README.md"
            card.write_text(build_card(o.root, o.repo_id, list(o.tags), private=o.private), encoding="utf-8")
            st = card.stat()
            files.append(LocalFile("README.md", card, st.st_size, st.st_mtime_ns, st.st_ino))
        self._set(phase="hashing", message=f"Hashing {len(files)} files")
        cache = HashCache(o.root)
        hashes = {}
        for f in files:
            self._check()
            hashes[f.rel] = cache.hashes(f)
        cache.save({f.rel for f in files if f.rel != "README.md"})
        attempt = 0
        while True:
            try:
                result = self._upload_and_commit(api, files, hashes)
                break
            except Exception as exc:
                self._raise_if_changed(files)
                if self.cancelled or not is_transient(exc) or attempt >= o.retries:
                    raise
                attempt += 1
                wait = 2.0 ** attempt
                log.info("push attempt %d failed (%s); retrying in %.0f s", attempt, type(exc).__name__, wait)
                self._set(message=f"Connection problem: retry {attempt} of {o.retries} in {wait:.0f} s")
                o.sleep(wait)
                self._check()
        if o.create_pr:                  # the maintainer merges it; the tag follows their merge
            result.seconds = time.monotonic() - self._t0
            return result
        self._set(phase="tagging", message=f"Tagging {TAG}")
        self._retrying(lambda: self._tag(api, result.commit))
        (o.root / PUSH_DIR / "last.json").write_text(json.dumps(
            {"repo_id": o.repo_id, "endpoint": api.endpoint, "branch": o.branch, "commit": result.commit,
             "time": time.time()}))
        result.seconds = time.monotonic() - self._t0
        return result

    def _retrying(self, fn):
        o = self.options
        for attempt in range(o.retries + 1):
            self._check()
            try:
                return fn()
            except Exception as exc:
                if not is_transient(exc) or attempt == o.retries:
                    raise
                o.sleep(2.0 ** (attempt + 1))

    def _raise_if_changed(self, files: list[LocalFile]) -> None:
        moved = [f.rel for f in files if f.changed()]
        if moved:
            raise PushError(f"{moved[0]} changed on disk while it was being uploaded (was it edited in "
                            "place?). Nothing was committed; push again once the dataset is idle.")

    def _remote(self, api, rels: list[str]) -> dict[str, tuple[str | None, str | None]]:
        """path -> (lfs sha256, git blob id) of what the branch holds now."""
        from huggingface_hub.hf_api import RepoFile

        out = {}
        for i in range(0, len(rels), 500):
            for e in api.get_paths_info(self.options.repo_id, rels[i:i + 500], repo_type="dataset",
                                        revision=self._target):
                if isinstance(e, RepoFile):
                    out[e.path] = (e.lfs.sha256 if e.lfs else None, e.blob_id)
        return out

    @property
    def _target(self) -> str:
        return "main" if self.options.create_pr else self.options.branch

    def _upload_and_commit(self, api, files: list[LocalFile], hashes: dict) -> PushResult:
        o = self.options
        remote = self._remote(api, [f.rel for f in files])
        changed = [f for f in files if remote.get(f.rel) is None or
                   hashes[f.rel][0] != remote[f.rel][0] and hashes[f.rel][1] != remote[f.rel][1]]
        unchanged = len(files) - len(changed)
        record = SentRecord(o.root, api.endpoint, o.repo_id)
        earlier = [f for f in changed if hashes[f.rel][0] in record]
        fresh = [f for f in changed if hashes[f.rel][0] not in record]
        tallies = {f.rel: Tally(f.size) for f in changed}
        with self._lock:
            self._samples.clear()
        self._set(phase="uploading", unchanged=unchanged, resumed=len(earlier), files_total=len(fresh),
                  files_done=0, bytes_total=sum(f.size for f in fresh), bytes_done=0, transport=self.transport,
                  message=f"Uploading {len(fresh)} file(s) over {self.transport}; {unchanged} unchanged"
                          + (f", {len(earlier)} already sent earlier" if earlier else ""))
        sender = Sender(self, api, hashes, record, tallies)
        try:
            sender.send_all([earlier] if earlier else [], [[f] for f in fresh])
            self._check()
            self._raise_if_changed(files)
            self._set(phase="committing", message="Opening a pull request" if o.create_pr else "Committing")
            ops = [sender.ops[f.rel] for f in changed]
            pr_url = None
            if ops:
                info = api.create_commit(o.repo_id, operations=ops, commit_message=o.message, repo_type="dataset",
                                         revision=None if o.create_pr else o.branch, create_pr=o.create_pr or None)
                commit, pr_url = info.oid, info.pr_url
                record.clear()
            else:
                commit = api.dataset_info(o.repo_id, revision=self._target).sha
        finally:
            sender.close()
        with self._lock:
            p = self._progress
            sent = [f.rel for f in changed if tallies[f.rel].counted]      # earlier-sent files stay at 0
            return PushResult(o.repo_id, commit, pr_url or f"{api.endpoint}/datasets/{o.repo_id}", uploaded=sent,
                              committed=[f.rel for f in changed], unchanged=unchanged, resumed=p.resumed,
                              bytes_sent=p.bytes_done, pr_url=pr_url)

    def _tag(self, api, commit: str) -> None:
        o = self.options
        tags = {t.name: t.target_commit for t in api.list_repo_refs(o.repo_id, repo_type="dataset").tags}
        if tags.get(TAG) == commit:
            return
        if TAG in tags:
            api.delete_tag(o.repo_id, tag=TAG, repo_type="dataset")
        api.create_tag(o.repo_id, tag=TAG, revision=commit, repo_type="dataset")
