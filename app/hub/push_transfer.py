"""How a push sends file contents: one file per `HfApi.preupload_lfs_files` call, over Xet or LFS.

- **Xet** (hf-xet installed and HF_HUB_DISABLE_XET unset, huggingface_hub's default): files are passed by
  path and hf-xet reads them itself, so progress moves one whole file at a time and a cancel takes effect
  between files. Files already in Xet storage are deduplicated by hf-xet (nothing re-sent).
- **LFS**: files are passed as open binary file objects (`CountingFile`), which huggingface_hub always
  sends over the LFS protocol; every read is counted, so progress is in bytes and a cancel stops mid-file.
  The LFS batch endpoint answers "already stored" for blobs an interrupted push sent, so none is re-sent.
- **Fallback**: when a Xet transfer cannot start (no Xet write token, Xet storage blocked by a proxy...),
  the same file is sent again over LFS; if that works the push says so once and stays on LFS.

`SentRecord` (`.studio/push/sent.json`) remembers which blobs reached the Hub for one repo since its last
commit, so a resumed push can count and skip them up front.
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.hub.push_errors import PushCancelled
from app.hub.push_files import PUSH_DIR, LocalFile

if TYPE_CHECKING:
    from app.hub.push import Push

log = logging.getLogger(__name__)
XET, LFS = "Xet", "LFS"
FALLBACK = "Xet storage could not be reached ({reason}); sending over LFS instead."


class _QuietBinaryIOWarning(logging.Filter):
    """huggingface_hub warns once per call that file objects go over LFS: that is what we asked for."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "binary IO buffer" not in record.getMessage()


logging.getLogger("huggingface_hub._commit_api").addFilter(_QuietBinaryIOWarning())


def xet_enabled() -> bool:
    """Whether huggingface_hub will try Xet for paths: hf-xet importable and not switched off."""
    from huggingface_hub import constants

    return importlib.util.find_spec("hf_xet") is not None and not getattr(constants, "HF_HUB_DISABLE_XET", False)


def fallback_notice(exc: BaseException) -> str:
    """The one line telling that Xet could not start and why, briefly (never a token)."""
    from app.hub.errors import _redact

    text = (_redact(str(exc)).splitlines() or [type(exc).__name__])[0]
    no_token = "xet-write-token" in text or "xet" in type(exc).__name__.lower()
    return FALLBACK.format(reason="the Hub gave no Xet write token" if no_token else text[:120])


@dataclass
class Tally:
    """Bytes of one file counted so far, across attempts (a retried upload re-reads from 0)."""
    size: int
    counted: int = 0
    done: bool = False


class CountingFile(io.BufferedReader):
    """A file huggingface_hub uploads from: counts bytes as they are read, stops when cancelled."""

    def __init__(self, path: Path, push: "Push", tally: Tally):
        super().__init__(io.FileIO(path, "rb"))
        self._push, self._tally = push, tally

    def read(self, n=-1):
        if self._push.cancelled:
            raise PushCancelled("push cancelled")
        data = super().read(n)
        self._push._count(self._tally, self.tell())
        return data


class SentRecord:
    """sha256 of blobs that reached the Hub for one (endpoint, repo) and are not committed yet."""

    def __init__(self, root: Path, endpoint: str, repo_id: str):
        self.path = Path(root) / PUSH_DIR / "sent.json"
        self.key = f"{endpoint} {repo_id}"
        self._lock = threading.Lock()
        try:
            data = json.loads(self.path.read_text())
            self.blobs = set(data["blobs"]) if data.get("key") == self.key else set()
        except (OSError, ValueError, KeyError, TypeError):
            self.blobs = set()

    def __contains__(self, sha256: str) -> bool:
        return sha256 in self.blobs

    def add(self, sha256s) -> None:
        with self._lock:
            self.blobs.update(sha256s)
            self._save()

    def clear(self) -> None:
        with self._lock:
            self.blobs.clear()
            self.path.unlink(missing_ok=True)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": self.key, "blobs": sorted(self.blobs)}))
        tmp.replace(self.path)


class Sender:
    """Sends groups of files for one push attempt and keeps the operations for the commit."""

    def __init__(self, push: "Push", api, hashes: dict, record: SentRecord, tallies: dict[str, Tally]):
        self.push, self.api, self.hashes, self.record, self.tallies = push, api, hashes, record, tallies
        self.ops: dict[str, object] = {}
        self.handles: list[CountingFile] = []
        self._lock = threading.Lock()

    def _ops(self, group: list[LocalFile], transport: str) -> list:
        from huggingface_hub import CommitOperationAdd

        out = []
        for f in group:
            op = CommitOperationAdd(f.rel, str(f.path))
            op.upload_info.sha256 = bytes.fromhex(self.hashes[f.rel][0])
            if transport == LFS:           # a file object: huggingface_hub sends it over LFS, we count reads
                op.path_or_fileobj = CountingFile(f.path, self.push, self.tallies[f.rel])
                with self._lock:
                    self.handles.append(op.path_or_fileobj)
            out.append(op)
        return out

    def _preupload(self, group: list[LocalFile], transport: str) -> list:
        o = self.push.options
        ops = self._ops(group, transport)
        self.api.preupload_lfs_files(o.repo_id, additions=ops, repo_type="dataset", num_threads=o.workers,
                                     revision=None if o.create_pr else o.branch, create_pr=o.create_pr or None,
                                     free_memory=False)
        return ops

    def send(self, group: list[LocalFile], earlier: bool = False) -> None:
        """Upload one group; over LFS instead when the Xet transfer fails and LFS works."""
        push = self.push
        push._check()
        transport = push.transport
        try:
            ops = self._preupload(group, transport)
        except Exception as exc:
            if transport != XET or push.cancelled or isinstance(exc, PushCancelled):
                raise
            log.info("Xet upload of %s failed (%s: %s); trying LFS", group[0].rel, type(exc).__name__, exc)
            ops = self._preupload(group, LFS)      # its error is the one to report if this fails too
            push._fell_back(exc)
            transport = LFS
        with self._lock:
            self.ops.update((op.path_in_repo, op) for op in ops)
        # over LFS a blob fully read was sent (regular files are read only by the commit); Xet dedups anyway
        self.record.add(self.hashes[f.rel][0] for f in group
                        if transport == XET or self.tallies[f.rel].counted >= f.size > 0)
        for f in group:
            push._finish(self.tallies[f.rel], earlier)

    def send_all(self, earlier: list[list[LocalFile]], groups: list[list[LocalFile]]) -> None:
        """Files an earlier push sent first (they should cost nothing), then one file per call: over Xet one
        at a time (hf-xet parallelises inside a file), over LFS `workers` at a time; cancel checked between."""
        for group in earlier:
            self.send(group, earlier=True)
        pending = list(groups)
        while pending and self.push.transport == XET:
            self.send(pending.pop(0))
        if not pending:
            return
        pool = ThreadPoolExecutor(max_workers=max(1, self.push.options.workers), thread_name_prefix="hub-push-file")
        try:
            for future in [pool.submit(self.send, g) for g in pending]:
                future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        for h in self.handles:
            h.close()
