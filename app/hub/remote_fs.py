"""A Hub dataset repo as an fsspec filesystem that reads byte ranges through the on-disk range cache.

Why ours and not huggingface_hub's HfFileSystem directly (bench/hub_scrub.py measures both):
- One request lists the whole repo: `dataset_info(files_metadata=True)` gives every path and size,
  pinned to a commit sha. HfFileSystem resolves the revision, then lists each directory and probes
  each file before its first byte, which at 50 ms per request costs most of the "open" budget.
- Ranges are read through `RangeCache` (any byte range, on disk, keyed by commit sha): a revisit
  makes no request at all, and a dataset seen once opens offline from its remembered file list.
- Readers that know which bytes they will read (the parquet footer says where an episode's column
  chunks are, an mp4's sample table where its frames are) ask for exactly those with `prefetch`, in
  parallel, before reading them; other reads fetch what they ask for, a small file whole, and grow
  a read-ahead while they go on sequentially (`HubFile`).
- Reads go through huggingface_hub's own HTTP session and headers (token from `hf auth login`),
  bounded by app/hub/http_range.py: a fixed pool of fetch threads, a per-response byte budget, one
  quick retry of a cut connection (an error in seconds), 429/5xx retried with back-off.

Paths are "<repo_id>@<revision>/<path in repo>" (`fs.root` + "/" + path); bare repo paths work too.
"""

from __future__ import annotations

import json
import logging
import posixpath
import threading
from concurrent.futures import wait
from dataclasses import dataclass, field

from fsspec.spec import AbstractFileSystem

from app.dataset.bounds import MAX_META_BYTES
from app.dataset.mp4_index import PROBE
from app.hub.errors import HubError
from app.hub.http_range import get_range, is_network_error, spawn
from app.hub.hub_file import HubFile
from app.hub.range_cache import RangeCache, file_key

log = logging.getLogger(__name__)
DEFAULT_REVISION = "v3.0"
DEFAULT_TIMEOUT = 10.0
PART = 2 * 1024 * 1024          # a prefetched range longer than this goes out as parallel requests
FOOTER = 64 * 1024              # parquet footer guess (what pyarrow reads first)
WARM_BATCH = 4                  # background warming: requests in flight at once (of the fetch pool's 8)
WARM_FILES = 256                # files warmed at most (<= 64 MB), whatever a listing says


@dataclass
class Manifest:
    repo_id: str
    revision: str
    commit: str
    files: dict[str, int]                 # path -> size
    tags: list[str] = field(default_factory=list)
    offline: bool = False                 # read from the cache, the Hub was not reachable
    note: str = ""                        # e.g. "no v3.0 tag: showing main"


class HubFileSystem(AbstractFileSystem):
    protocol = "studiohub"
    cachable = False

    def __init__(self, manifest: Manifest, cache: RangeCache, endpoint: str | None = None,
                 token: str | bool | None = None, timeout: float = DEFAULT_TIMEOUT):
        super().__init__()
        from huggingface_hub import constants
        self.manifest, self.range_cache = manifest, cache
        self.endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
        self.token, self.timeout = token, timeout
        self.requests = 0
        self.bytes_fetched = 0
        self._count_lock = threading.Lock()
        self._warming: threading.Thread | None = None
        dirs = {""}
        for p in manifest.files:
            parts = p.split("/")
            dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
        self._dirs = dirs

    @property
    def root(self) -> str:
        """The root to give DatasetReader: "<repo_id>@<revision>"."""
        return f"{self.manifest.repo_id}@{self.manifest.revision}"

    def _rel(self, path: str) -> str:
        path = self._strip_protocol(str(path))
        if path.startswith(self.root):
            path = path[len(self.root):]
        path = posixpath.normpath("/" + path.lstrip("/")).lstrip("/")
        return "" if path == "." else path

    def _name(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def info(self, path, **kwargs):
        rel = self._rel(path)
        if rel in self.manifest.files:
            return {"name": self._name(rel), "size": self.manifest.files[rel], "type": "file"}
        if rel in self._dirs:
            return {"name": self._name(rel), "size": 0, "type": "directory"}
        raise FileNotFoundError(f"{rel} is not in {self.root}")

    def ls(self, path, detail=True, **kwargs):
        rel = self._rel(path)
        if rel in self.manifest.files:
            out = [self.info(rel)]
        elif rel in self._dirs:
            prefix = rel + "/" if rel else ""
            names = {prefix + p[len(prefix):].split("/")[0] for p in list(self.manifest.files) + list(self._dirs)
                     if p.startswith(prefix) and p != rel and p[len(prefix):]}
            out = [self.info(n) for n in sorted(names)]
        else:
            raise FileNotFoundError(rel)
        return out if detail else [e["name"] for e in out]

    def _open(self, path, mode="rb", block_size=None, autocommit=True, cache_options=None, **kwargs):
        if mode != "rb":
            raise PermissionError("Hub datasets are opened read-only")
        rel = self._rel(path)
        if rel not in self.manifest.files:
            raise FileNotFoundError(f"{rel} is not a file of {self.root}")
        return HubFile(self, rel)

    def fetch(self, rel: str, start: int, end: int) -> bytes:
        """Bytes [start, end) of a repo file over HTTP (huggingface_hub's session and headers), within
        a per-response byte budget, 429/5xx retried with back-off (app/hub/http_range.py)."""
        from huggingface_hub import hf_hub_url
        from huggingface_hub.utils import build_hf_headers

        url = hf_hub_url(self.manifest.repo_id, rel, repo_type="dataset", revision=self.manifest.commit,
                         endpoint=self.endpoint)
        whole = start == 0 and end == self.manifest.files.get(rel, -1)
        data = get_range(url, build_hf_headers(token=self.token), rel, start, end, self.timeout, whole)
        with self._count_lock:
            self.requests += 1
            self.bytes_fetched += len(data)
        if len(data) != end - start:
            raise HubError(f"{rel} is shorter on the Hub than its listed size (truncated upload?)")
        return data

    def _key(self, rel: str) -> str:
        m = self.manifest
        return file_key(self.endpoint, m.repo_id, m.commit, rel)

    def read_range(self, rel: str, start: int, end: int, span: tuple[int, int] | None = None) -> bytes:
        """Bytes [start, end) of a repo file; a missing part may be fetched as wide as `span`."""
        return self.range_cache.read(self._key(rel), start, end, self.manifest.files[rel],
                                     lambda a, b: self.fetch(rel, a, b), span)

    def _fill(self, rel: str, start: int, end: int) -> None:
        """Fetch [start, end) into the cache without keeping the bytes (prefetch futures hold None,
        so a listing claiming a huge file does not pile its bytes up in memory)."""
        self.read_range(rel, start, end)

    def cached_prefix(self, rel: str, start: int, end: int, wait: bool = False) -> int:
        """How many bytes from `start` are cached; with `wait`, after a fetch in flight there lands."""
        key = self._key(rel)
        have = self.range_cache.cached_prefix(key, start, end)
        if not have and wait and self.range_cache.wait_inflight(key, start):
            have = self.range_cache.cached_prefix(key, start, end)
        return have

    def prefetch(self, path: str, ranges, wait_for: bool = True) -> list:
        """Fetch the missing parts of byte ranges of a file into the cache, in parallel requests.

        Readers call this with the ranges they are about to read (a local filesystem has no
        `prefetch`, so the same reader code does nothing there). Returns the futures when not
        `wait_for`; otherwise waits and raises the first failure."""
        rel = self._rel(path)
        size, key = self.manifest.files[rel], self._key(rel)
        parts = []
        for a, b in ranges:
            for lo, hi in self.range_cache.missing(key, max(0, a), min(size, b)):
                parts += [(x, min(hi, x + PART)) for x in range(lo, hi, PART)]
        futures = [spawn(self._fill, rel, a, b) for a, b in parts]
        if wait_for:
            wait(futures)
            for f in futures:
                f.result()
        return futures


    def warm_heads_once(self) -> threading.Thread:
        """`warm_heads`, started on the first call only (EpisodeFrames calls it once a frame shows)."""
        with self._count_lock:
            if self._warming is None:
                self._warming = self.warm_heads()
            return self._warming

    def warm_heads(self, batch: int = WARM_BATCH) -> threading.Thread:
        """In the background, fetch what the first read of every data and video file reads (see
        `head_range`), `batch` requests at a time so the rest of the fetch pool stays free for the
        frames a user asks for meanwhile. At lab scale (hundreds of episodes in tens of files) a jump
        to an episode in a file not read yet then costs one round trip (its frame's samples), not
        three (footer or sample table, then samples). Returns the thread (daemon; tests join it)."""
        block = self.range_cache.block_size
        todo = [(rel, head_range(rel, size, block)) for rel, size in sorted(self.manifest.files.items())
                if (rel.startswith("data/") and rel.endswith(".parquet"))
                or (rel.startswith("videos/") and rel.endswith(".mp4"))][:WARM_FILES]
        if self.manifest.offline:
            todo = []                       # the Hub is not reachable: only what is cached shows

        def run():
            for i in range(0, len(todo), batch):
                futures = [f for rel, r in todo[i:i + batch] for f in self.prefetch(rel, [r], wait_for=False)]
                wait(futures)
                for f in futures:
                    if f.exception() is not None:
                        log.info("warming %s stopped: %s", self.root, f.exception())
                        return
        t = threading.Thread(target=run, name="hub-warm", daemon=True)
        t.start()
        return t


# -- opening --------------------------------------------------------------------------------------

def _manifest_path(cache: RangeCache, endpoint: str, repo_id: str, revision: str):
    return cache.directory / "manifests" / (file_key(endpoint, repo_id, revision) + ".json")


def _fetch_manifest(api, repo_id: str, revision: str, timeout: float) -> Manifest:
    info = api.dataset_info(repo_id, revision=revision, files_metadata=True, timeout=timeout)
    files = {s.rfilename: int(s.size or 0) for s in info.siblings or []}
    return Manifest(repo_id, revision, info.sha, files, list(info.tags or []))


def _v2_message(repo_id: str, version: str) -> str:
    return (f"{repo_id} is a LeRobot {version} dataset. The studio reads v3.0 only: convert it with "
            "lerobot's `python -m lerobot.scripts.convert_dataset_v21_to_v30 "
            f"--repo-id={repo_id}` (or pick a revision tagged v3.0).")


_opened: dict[tuple, HubFileSystem] = {}    # this session's open datasets: a revisit asks nothing


def open_hub_dataset(repo_id: str, revision: str = DEFAULT_REVISION, *, cache: RangeCache | None = None,
                     endpoint: str | None = None, token: str | bool | None = None,
                     timeout: float = DEFAULT_TIMEOUT, refresh: bool = False) -> HubFileSystem:
    """The dataset `repo_id` at `revision` as a filesystem; `DatasetReader(fs.root, fs)` reads it.

    Raises HubError with a clear message when the repo is not a LeRobot v3.0 dataset; huggingface_hub
    errors (not found, gated, timeouts) pass through for `errors.explain`. Opening the same dataset
    again in this session reuses the commit resolved the first time unless `refresh`.
    """
    from huggingface_hub import constants

    cache = cache or RangeCache()
    endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
    key = (endpoint, repo_id, revision, cache.directory, token)
    if not refresh and key in _opened and not _opened[key].manifest.offline:
        return _opened[key]
    _opened[key] = fs = _open(repo_id, revision, cache, endpoint, token, timeout)
    return fs


def _open(repo_id, revision, cache, endpoint, token, timeout) -> HubFileSystem:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RevisionNotFoundError

    api = HfApi(endpoint=endpoint, token=token)
    saved = _manifest_path(cache, endpoint, repo_id, revision)
    try:
        manifest = _fetch_manifest(api, repo_id, revision, timeout)
    except RevisionNotFoundError:
        if revision != DEFAULT_REVISION:
            raise
        tags = [t.name for t in api.list_repo_refs(repo_id, repo_type="dataset").tags]
        old = sorted(t for t in tags if t.startswith("v2"))
        if old:
            raise HubError(_v2_message(repo_id, old[-1])) from None
        manifest = _fetch_manifest(api, repo_id, "main", timeout)
        manifest.note = f"{repo_id} has no v3.0 tag: showing the main branch."
    except Exception as exc:
        if not (is_network_error(exc) and saved.exists()):
            raise
        manifest = Manifest(**json.loads(saved.read_text()))
        manifest.offline, manifest.note = True, "The Hub is not reachable: showing the cached copy."
    fs = HubFileSystem(manifest, cache, endpoint, token, timeout)
    if "meta/info.json" not in manifest.files:
        raise HubError(f"{repo_id} is not a LeRobot dataset (it has no meta/info.json).")
    if not manifest.offline:
        _warm_metadata(fs)
    try:
        with fs.open(fs.root + "/meta/info.json") as f:
            raw = f.read(MAX_META_BYTES + 1)
        if len(raw) > MAX_META_BYTES:
            raise HubError(f"{repo_id}: meta/info.json is larger than {MAX_META_BYTES >> 20} MB, so this is "
                           "not a readable LeRobot dataset.")
        version = str(json.loads(raw).get("codebase_version", ""))
    except (ValueError, AttributeError, RecursionError):
        raise HubError(f"{repo_id}: meta/info.json is not valid JSON, so this is not a readable "
                       "LeRobot dataset.") from None
    if version.startswith(("v1", "v2")):
        raise HubError(_v2_message(repo_id, version))
    if not manifest.offline:
        saved.parent.mkdir(parents=True, exist_ok=True)
        tmp = saved.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: v for k, v in manifest.__dict__.items()
                                   if k not in ("offline", "note")}))
        tmp.replace(saved)
    return fs


def _first_files(files: dict[str, int]) -> list[str]:
    """The first data file and each camera's first video file: they hold episode 0, which the
    Datasets panel shows as soon as the episode table is read (lerobot and the studio both start
    each file sequence at chunk-000/file-000)."""
    first: dict[str, str] = {}
    for rel in sorted(files):
        if rel.startswith("data/") and rel.endswith(".parquet"):
            first.setdefault("data", rel)
        elif rel.startswith("videos/") and rel.endswith(".mp4"):
            first.setdefault(rel.split("/")[1], rel)
    return list(first.values())


def head_range(rel: str, size: int, block: int) -> tuple[int, int]:
    """What a reader reads first of a file: a small file whole, a parquet file's footer, an mp4's
    first PROBE bytes (ftyp and a front moov, and the first samples after it)."""
    if size <= block or rel.endswith(".json"):
        return 0, size
    if rel.endswith(".mp4"):
        return 0, min(size, PROBE)
    return max(0, size - FOOTER), size


def _warm_metadata(fs: HubFileSystem) -> None:
    """Fetch what DatasetReader reads first, all at once: info.json, and tasks and episodes parquet
    whole when small, else their footers (one round trip instead of one per file). Episode 0's data
    and video files' heads are asked for right after, without waiting: they arrive while the reader
    parses the episode table, so the first frame needs no request of its own (a failure there is
    reported by the read that needs those bytes)."""
    block, futures = fs.range_cache.block_size, []
    files = fs.manifest.files
    episodes = sorted(r for r in files if r.startswith("meta/episodes/") and r.endswith(".parquet"))
    for rel in ["meta/info.json", "meta/tasks.parquet"] + episodes + _first_files(files):
        size = files.get(rel)
        if size is None or (rel == "meta/info.json" and size > MAX_META_BYTES):
            continue                        # the reader refuses it without fetching it all
        pending = fs.prefetch(rel, [head_range(rel, size, block)], wait_for=False)
        if rel.startswith("meta/"):
            futures += pending
    wait(futures)
    for f in futures:
        f.result()
