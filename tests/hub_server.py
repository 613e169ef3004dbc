"""A stand-in for the Hugging Face Hub on 127.0.0.1: serves dataset repos from local folders.

It answers the endpoints huggingface_hub 2.x uses to read dataset repos (see
docs/HUB_TESTING.md): repo info, tree, paths-info, refs, listing, and file bytes with
HTTP Range. Every request is logged (method, path, range, status, bytes) and can be delayed by
`latency` seconds; faults (truncated file, corrupt bytes, dropped connection) are injected per file.

    with HubServer() as hub:
        hub.add_dataset("fixtures/so101_3ep", folder, tags=("v3.0",))
        env = hub.client_env(tmp_path / "hf_home")     # set before huggingface_hub is imported

Routes live in `HubHandler.ROUTES` (method, regex, handler method name) so uploads can be added
later by a subclass or by appending routes.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

TEXT_SUFFIXES = {".json", ".md", ".txt", ".jsonl", ".yaml", ".yml", ".gitattributes"}
DATE = "2026-01-01T00:00:00.000Z"


@dataclass
class Request:
    method: str
    path: str
    range: str | None
    status: int
    bytes: int


@dataclass
class Fault:
    truncate: int | None = None            # the file on the "Hub" is only this many bytes
    corrupt: dict[int, int] = field(default_factory=dict)   # offset -> replacement byte
    drop_after: int | None = None          # close the connection after sending this many body bytes
    ignore_range: bool = False             # answer 200 with the whole file whatever Range asked
    busy: int = 0                          # answer the next `busy` requests with `busy_status`
    busy_status: int = 503


class Repo:
    """A dataset repo: one folder, one commit, any number of branch/tag names pointing at it."""

    def __init__(self, repo_id: str, folder: Path, branches=("main",), tags=("v3.0",), gated=False,
                 card_tags=("LeRobot",)):
        self.repo_id, self.folder = repo_id, Path(folder)
        self.branches, self.tags = list(branches), list(tags)
        self.gated, self.card_tags = gated, list(card_tags)
        self.faults: dict[str, Fault] = {}
        self.refresh()

    def refresh(self) -> None:
        """Re-read the folder (after files changed) and make a new commit sha."""
        self.files = sorted(p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*")
                            if p.is_file() and not any(part.startswith(".") for part in
                                                       p.relative_to(self.folder).parts))
        h = hashlib.sha1(self.repo_id.encode())
        for f in self.files:
            st = (self.folder / f).stat()
            h.update(f"{f}:{st.st_size}:{st.st_mtime_ns};".encode())
        self.sha = h.hexdigest()
        self._hashes: dict[str, tuple[str, str]] = {}

    def resolves(self, rev: str) -> bool:
        return rev in self.branches or rev in self.tags or (len(rev) >= 7 and self.sha.startswith(rev))

    def size(self, path: str) -> int:
        n = (self.folder / path).stat().st_size
        t = self.faults.get(path)
        return min(n, t.truncate) if t and t.truncate is not None else n

    def read(self, path: str, start: int, end: int) -> bytes:
        """Bytes [start, end) of the file as served, faults applied."""
        with open(self.folder / path, "rb") as fh:
            fh.seek(start)
            data = bytearray(fh.read(max(0, min(end, self.size(path)) - start)))
        for off, b in (self.faults[path].corrupt.items() if path in self.faults else ()):
            if start <= off < start + len(data):
                data[off - start] = b
        return bytes(data)

    def is_lfs(self, path: str) -> bool:
        return Path(path).suffix not in TEXT_SUFFIXES

    def hashes(self, path: str) -> tuple[str, str]:
        """(git blob sha1, sha256) of the file as served."""
        if path not in self._hashes:
            data = self.read(path, 0, self.size(path))
            blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            self._hashes[path] = blob, hashlib.sha256(data).hexdigest()
        return self._hashes[path]

    def dirs(self) -> list[str]:
        out = {"/".join(f.split("/")[:i]) for f in self.files for i in range(1, f.count("/") + 1)}
        return sorted(out)

    def entry(self, path: str) -> dict:
        if path in self.files:
            blob, sha256 = self.hashes(path)
            e = {"type": "file", "oid": blob, "size": self.size(path), "path": path}
            if self.is_lfs(path):
                e["lfs"] = {"oid": sha256, "size": self.size(path), "pointerSize": 134}
            return e
        return {"type": "directory", "oid": hashlib.sha1(path.encode()).hexdigest(), "size": 0, "path": path}

    def info(self, files_metadata: bool) -> dict:
        siblings = []
        for f in self.files:
            s = {"rfilename": f}
            if files_metadata:
                blob, sha256 = self.hashes(f)
                s.update(size=self.size(f), blobId=blob)
                if self.is_lfs(f):
                    s["lfs"] = {"sha256": sha256, "size": self.size(f), "pointerSize": 134}
            siblings.append(s)
        owner = self.repo_id.split("/")[0]
        return {"_id": self.sha[:24], "id": self.repo_id, "author": owner, "sha": self.sha,
                "lastModified": DATE, "createdAt": DATE, "private": False,
                "gated": "manual" if self.gated else False, "disabled": False, "downloads": 0,
                "likes": 0, "tags": self.card_tags + ["region:us"],
                "cardData": {"tags": self.card_tags}, "siblings": siblings}


class HubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, latency: float = 0.0, tokens=("hf_teststudiotokenAAAAAAAAAAAA",)):
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.latency = latency
        self.tokens = set(tokens)
        self.repos: dict[str, Repo] = {}
        self.log: list[Request] = []
        self._conns: set = set()
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add_dataset(self, repo_id: str, folder: Path, **kw) -> Repo:
        self.repos[repo_id] = Repo(repo_id, folder, **kw)
        return self.repos[repo_id]

    def fault(self, repo_id: str, path: str) -> Fault:
        repo = self.repos[repo_id]
        repo._hashes.pop(path, None)
        return repo.faults.setdefault(path, Fault())

    def client_env(self, hf_home: Path) -> dict[str, str]:
        """Environment for a huggingface_hub client aimed at this server (set before importing it)."""
        return {"HF_ENDPOINT": self.endpoint, "HF_HUB_DISABLE_XET": "1", "HF_HOME": str(hf_home),
                "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}

    def requests_since(self, mark: int) -> list[Request]:
        return self.log[mark:]

    def start(self) -> "HubServer":
        self._thread = threading.Thread(target=self.serve_forever, name="hub-stand-in", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open keep-alive connections (clients see the Hub go away)."""
        self.shutdown()
        self.server_close()
        for conn in list(self._conns):
            try:
                conn.shutdown(2)
            except OSError:
                pass

    def __enter__(self) -> "HubServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class HttpError(Exception):
    def __init__(self, status: int, code: str | None, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


_REPO = r"/api/datasets/(?P<repo>[^/]+/[^/]+)"


class HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HubServer
    ROUTES = [
        ("GET", r"/api/datasets", "list_datasets"),
        ("GET", _REPO + r"(?:/revision/(?P<rev>.+))?", "dataset_info"),
        ("GET", _REPO + r"/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?", "tree"),
        ("POST", _REPO + r"/paths-info/(?P<rev>[^/]+)", "paths_info"),
        ("GET", _REPO + r"/refs", "refs"),
        ("GET", r"/api/datasets/(?P<owner>[^/]+)", "owner_probe"),
        ("GET", r"/datasets/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
        ("HEAD", r"/datasets/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
    ]

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def setup(self) -> None:
        super().setup()
        self.server._conns.add(self.connection)

    def finish(self) -> None:
        self.server._conns.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        self.query = parse_qs(url.query)
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._sent, self._status = 0, 0
        if self.server.latency:
            time.sleep(self.server.latency)
        # the revision segment may hold an encoded "/" (refs%2Fconvert%2Fparquet): match before unquoting
        for m, pattern, name in self.ROUTES:
            match = re.fullmatch(pattern, url.path)
            if m == method and match:
                args = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                try:
                    getattr(self, name)(**args)
                except HttpError as e:
                    self._error(e)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                break
        else:
            self._error(HttpError(404, None, f"no route for {method} {url.path}"))
        self.server.log.append(Request(method, unquote(url.path), self.headers.get("Range"),
                                       self._status, self._sent))

    # -- helpers --------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict | None = None,
              length: int | None = None) -> None:
        self._status = status
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
            self._sent += len(body)

    def _json(self, obj, headers: dict | None = None) -> None:
        self._send(200, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _error(self, e: HttpError) -> None:
        headers = {"Content-Type": "application/json", "X-Error-Message": e.message}
        if e.code:
            headers["X-Error-Code"] = e.code
        self._send(e.status, json.dumps({"error": e.message}).encode(), headers)

    def _repo(self, repo: str, rev: str | None = None) -> Repo:
        r = self.server.repos.get(repo)
        if r is None:
            raise HttpError(404, "RepoNotFound", "Repository not found")
        if rev is not None and not r.resolves(rev):
            raise HttpError(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return r

    def _check_access(self, r: Repo) -> None:
        if not r.gated:
            return
        auth = self.headers.get("Authorization", "")
        if not auth:
            raise HttpError(401, "GatedRepo", f"Access to dataset {r.repo_id} is restricted. "
                                              "You must be authenticated to access it.")
        if auth.removeprefix("Bearer ") not in self.server.tokens:
            raise HttpError(403, "GatedRepo", f"Access to dataset {r.repo_id} is restricted and "
                                              "you are not in the authorized list.")

    # -- API --------------------------------------------------------------------------------------
    def list_datasets(self) -> None:
        q = {k: v[0] for k, v in self.query.items()}
        out = []
        for r in self.server.repos.values():
            if q.get("search", "").lower() not in r.repo_id.lower():
                continue
            if q.get("author") and r.repo_id.split("/")[0] != q["author"]:
                continue
            if "filter" in self.query and not set(self.query["filter"]) <= set(r.card_tags):
                continue
            info = r.info(False)
            del info["siblings"]
            out.append(info)
        self._json(out[: int(q.get("limit") or 1000)])

    def dataset_info(self, repo: str, rev: str | None = None) -> None:
        r = self._repo(repo, rev)
        self._json(r.info(files_metadata=self.query.get("blobs", ["false"])[0].lower() == "true"))

    def tree(self, repo: str, rev: str, path: str = "") -> None:
        r = self._repo(repo, rev)
        path = path.strip("/")
        recursive = self.query.get("recursive", ["false"])[0].lower() in ("true", "1")
        if path and path not in r.dirs():
            raise HttpError(404, "EntryNotFound", f"{path} does not exist on {rev}")
        prefix = path + "/" if path else ""
        names = [p for p in r.dirs() + r.files if p.startswith(prefix)]
        if not recursive:
            names = [p for p in names if "/" not in p[len(prefix):]]
        self._json([r.entry(p) for p in sorted(names, key=lambda p: (p in r.files, p))])

    def paths_info(self, repo: str, rev: str) -> None:
        r = self._repo(repo, rev)
        if self.headers.get("Content-Type", "").startswith("application/json"):
            paths = json.loads(self.body or b"{}").get("paths", [])
        else:
            paths = parse_qs(self.body.decode()).get("paths", [])
        known = set(r.files) | set(r.dirs())
        self._json([r.entry(p.strip("/")) for p in paths if p.strip("/") in known])

    def refs(self, repo: str) -> None:
        r = self._repo(repo)
        ref = lambda kind, n: {"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": r.sha}  # noqa: E731
        self._json({"branches": [ref("heads", b) for b in r.branches],
                    "tags": [ref("tags", t) for t in r.tags], "converts": []})

    def owner_probe(self, owner: str) -> None:
        raise HttpError(404, "RepoNotFound", "Repository not found")

    def resolve(self, repo: str, rev: str, path: str) -> None:
        r = self._repo(repo, rev)
        self._check_access(r)
        if path not in r.files:
            raise HttpError(404, "EntryNotFound", f"{path} does not exist on {rev}")
        size = r.size(path)
        blob, sha256 = r.hashes(path)
        etag = f'"{sha256 if r.is_lfs(path) else blob}"'
        headers = {"ETag": etag, "X-Repo-Commit": r.sha, "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        if r.is_lfs(path):
            headers.update({"X-Linked-Size": size, "X-Linked-Etag": etag})
        start, end, status = 0, size, 200
        fault = r.faults.get(path)
        if fault and fault.busy > 0:
            fault.busy -= 1
            raise HttpError(fault.busy_status, None, "busy")
        spec = None if fault and fault.ignore_range else self.headers.get("Range")
        if spec:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", spec.strip())
            if not m or (not m[1] and not m[2]):
                raise HttpError(416, None, f"bad range {spec}")
            if m[1]:
                start, end = int(m[1]), min(size, int(m[2]) + 1 if m[2] else size)
            else:
                start, end = max(0, size - int(m[2])), size
            if start >= size or start >= end:
                self._send(416, b"", {"Content-Range": f"bytes */{size}"})
                return
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        if self.command == "HEAD":
            self._send(status, b"", headers, length=end - start)
            return
        body = r.read(path, start, end)
        fault = r.faults.get(path)
        if fault and fault.drop_after is not None:
            self._send(status, body[: fault.drop_after], headers, length=len(body))
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self._send(status, body, headers)
