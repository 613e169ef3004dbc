"""The write side of the Hub stand-in (tests/hub_server.py serves reads): what huggingface_hub 2.x sends
to publish a dataset with HF_HUB_DISABLE_XET=1 (read from its hf_api.py, _commit_api.py and lfs.py):

- `GET /api/whoami-v2` (token check), `POST /api/repos/create` {name, organization, type[, visibility]
  (2.x) or [private] (0.x)}: no visibility means the owner's default (`hub.private_by_default` lists
  the organisations whose new repos are private); 409 when it exists (create_repo(exist_ok=True) ignores
  that). Every create body is kept in `hub.create_requests`.
- `POST /api/datasets/{repo}/preupload/{rev}` {files: [{path, sample, size}]} -> {files: [{path,
  uploadMode, shouldIgnore, oid}]} (oid = remote sha256 for LFS files, git blob sha1 for regular ones),
- `POST /datasets/{repo}.git/info/lfs/objects/batch` -> per object either no `actions` (already stored:
  the client sends nothing) or upload/verify hrefs; `PUT` of the bytes (basic transfer), `POST` verify,
- `POST /api/datasets/{repo}/commit/{rev}` NDJSON lines header / file (base64) / lfsFile / deletedFile,
- `POST /api/validate-yaml` (create_commit checks README.md first), tags `POST .../tag/{rev}` {tag} and
  `DELETE .../tag/{tag}`, branches `POST .../branch/{name}`.
- Xet, as a Hub whose Xet storage cannot be reached: an LFS batch offering the "xet" transfer is answered
  `"transfer": "xet"` (huggingface_hub 0.3x-1.x ask this way; 2.x goes to Xet directly), and
  `GET /api/datasets/{repo}/xet-write-token/{rev}` answers 404. A client must then fall back to LFS.
- Pull requests (`create_pr=1` on preupload and commit, an LFS batch without `ref`): any known user who
  can read the repo may open one. The commit leaves `main` alone, lands in `hub.pull_requests`
  (repo, number, author, {path: bytes}) and answers `pullRequestUrl` .../discussions/{n}.

Write endpoints need a token of a known user with a write role (401 unknown, 403 read-only or someone
else's namespace, 404 unknown organisation). LFS objects live in a per-repo store that survives failed
pushes, like the Hub's, so a resumed upload is told those objects are present. Faults: `fail_next` answers the
next N matching requests with a status; `drop_upload_after` cuts the connection of the next upload
PUTs after that many received bytes (the socket is shut, the client sees a reset).

    with WriteHubServer(tmp_path / "hub") as hub:   # hub.add_user(token, "alice", role="write", orgs=["lab"])
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from tests.hub_server import DATE, HttpError, HubHandler, HubServer, Repo, Request

DEFAULT_TOKEN = "hf_teststudiotokenAAAAAAAAAAAA"
_DS = r"/api/datasets/(?P<repo>[^/]+/[^/]+)"


@dataclass
class User:
    name: str
    role: str = "write"            # "write" | "read"
    orgs: list[str] = field(default_factory=list)


class WritableRepo(Repo):
    """A repo pushed to the stand-in: a folder updated by commits, tags pointing at commit shas."""

    def __init__(self, repo_id: str, folder: Path, private: bool = False):
        folder.mkdir(parents=True, exist_ok=True)
        self.private, self.history, self.tag_targets = private, [], {}
        super().__init__(repo_id, folder, branches=("main",), tags=())

    def commit(self, digest: str) -> str:
        self.refresh()
        parent = self.history[-1] if self.history else ""
        self.sha = hashlib.sha1(f"{parent}:{digest}:{len(self.history)}".encode()).hexdigest()
        self.history.append(self.sha)
        return self.sha

    def resolves(self, rev: str) -> bool:
        return super().resolves(rev) or any(len(rev) >= 7 and h.startswith(rev) for h in self.history)

    def info(self, files_metadata: bool) -> dict:
        out = super().info(files_metadata)
        out["private"] = self.private
        return out


class WriteHubHandler(HubHandler):
    ROUTES = [
        ("GET", r"/api/whoami-v2", "whoami"),
        ("POST", r"/api/repos/create", "create_repo"),
        ("POST", r"/api/validate-yaml", "validate_yaml"),
        ("POST", _DS + r"/preupload/(?P<rev>[^/]+)", "preupload"),
        ("POST", r"/datasets/(?P<repo>[^/]+/[^/]+)\.git/info/lfs/objects/batch", "lfs_batch"),
        ("POST", r"/lfs-verify/(?P<repo>[^/]+/[^/]+)/(?P<oid>[0-9a-f]{64})", "lfs_verify"),
        ("POST", _DS + r"/commit/(?P<rev>[^/]+)", "commit"),
        ("GET", _DS + r"/xet-write-token/(?P<rev>[^/]+)", "xet_write_token"),
        ("POST", _DS + r"/tag/(?P<rev>[^/]+)", "create_tag"),
        ("DELETE", _DS + r"/tag/(?P<tag>[^/]+)", "delete_tag"),
        ("POST", _DS + r"/branch/(?P<branch>[^/]+)", "create_branch"),
        ("GET", _DS + r"/refs", "refs"),
    ] + HubHandler.ROUTES
    server: "WriteHubServer"

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:  # LFS upload: read the body as it comes, so a cut can be injected
        self._sent, self._status, received = 0, 0, 0
        path = self.path.split("?")[0]
        try:
            if self.server.latency:
                time.sleep(self.server.latency)
            repo, oid = path.removeprefix("/lfs-upload/").rsplit("/", 1)
            store = self.server.lfs_dir(unquote(repo))
            length = int(self.headers.get("Content-Length") or 0)
            drop = self.server.take_drop(length)
            tmp = store / f".{oid}.{time.monotonic_ns()}.part"
            h = hashlib.sha256()
            with open(tmp, "wb") as out:
                while received < length:
                    chunk = self.rfile.read(min(65536, length - received))
                    if not chunk:
                        break
                    received += len(chunk)
                    h.update(chunk)
                    out.write(chunk)
                    if drop is not None and received >= drop:
                        tmp.unlink()
                        self.close_connection = True
                        self.connection.shutdown(2)
                        self._status = -1          # logged as a cut connection
                        return
            if h.hexdigest() != oid or received != length:
                tmp.unlink()
                raise HttpError(400, "BadDigest", "uploaded bytes do not match the announced sha256")
            tmp.replace(store / oid)
            self._send(200, b"", {"ETag": f'"{oid}"'})
        except HttpError as e:
            self._error(e)
        finally:
            self.server.log.append(Request("PUT", path, None, self._status, received))

    # -- helpers ------------------------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        status = self.server.take_failure(method, self.path)
        if status is None:
            return super()._dispatch(method)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._error(HttpError(status, None, "injected failure"))
        self.server.log.append(Request(method, self.path.split("?")[0], None, status, 0))

    def _user(self, owner: str | None = None) -> User:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token:
            raise HttpError(401, None, "You must be authenticated to do this (no token).")
        user = self.server.users.get(token)
        if user is None:
            raise HttpError(401, None, "Invalid credentials in Authorization header")
        if owner is not None:
            if owner not in self.server.namespaces():
                raise HttpError(404, None, f"Organization {owner} not found")
            if user.role != "write" or owner not in [user.name, *user.orgs]:
                raise HttpError(403, None, f"You don't have the rights to write to the namespace {owner}")
        return user

    def _writable(self, repo: str, rev: str | None = None) -> WritableRepo:
        r = self._repo(repo, rev)
        self._user(repo.split("/")[0])
        if not isinstance(r, WritableRepo):
            raise HttpError(403, None, "read-only fixture repo")
        return r

    def _contributor(self, repo: str, rev: str | None = None) -> WritableRepo:
        """A pull request needs only a known user and a repo they can see."""
        r = self._repo(repo, rev)
        self._user()
        if not isinstance(r, WritableRepo) or (r.private and repo.split("/")[0] not in
                                               [self._user().name, *self._user().orgs]):
            raise HttpError(404, "RepoNotFound", "Repository not found")
        return r

    def _for_pr(self) -> bool:
        return self.query.get("create_pr", [""])[0] in ("1", "true", "True")

    def _body_json(self) -> dict:
        return json.loads(self.body or b"{}")

    # -- endpoints ----------------------------------------------------------------------------------
    def whoami(self) -> None:
        u = self._user()
        self._json({"type": "user", "name": u.name, "fullname": u.name, "orgs": [{"name": o} for o in u.orgs],
                    "auth": {"type": "access_token", "accessToken": {"displayName": "studio", "role": u.role}}})

    def create_repo(self) -> None:
        body = self._body_json()
        owner = body.get("organization") or self._user().name
        self._user(owner)
        repo_id = f"{owner}/{body['name']}"
        if body.get("type") != "dataset":
            raise HttpError(400, None, "the stand-in only hosts datasets")
        url = f"{self.server.endpoint}/datasets/{repo_id}"
        if repo_id in self.server.repos:      # the Hub's 409 carries the url (create_repo reads it)
            self._send(409, json.dumps({"error": "You already created this dataset repo", "url": url}).encode(),
                       {"Content-Type": "application/json", "X-Error-Message": "You already created this dataset repo"})
            return
        self.server.create_requests.append(body)
        folder = self.server.root / "repos" / repo_id
        chosen = body.get("visibility", {True: "private", False: "public"}.get(body.get("private")))
        private = chosen == "private" if chosen else owner in self.server.private_by_default
        self.server.repos[repo_id] = WritableRepo(repo_id, folder, private=private)
        self._json({"url": url, "name": repo_id, "id": repo_id})

    def validate_yaml(self) -> None:
        self._json({"errors": [], "warnings": []})

    def xet_write_token(self, repo: str, rev: str) -> None:
        self._repo(repo)
        raise HttpError(404, None, "Xet storage is not reachable from this stand-in")

    def preupload(self, repo: str, rev: str) -> None:
        r = self._contributor(repo, rev) if self._for_pr() else self._writable(repo, rev)
        out = []
        for f in self._body_json().get("files", []):
            path = f["path"]
            lfs = r.is_lfs(path) and f.get("size", 0) > 0
            oid = None
            if path in r.files:
                blob, sha256 = r.hashes(path)
                oid = sha256 if lfs else blob
            out.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False,
                        "oid": oid})
        self._json({"files": out})

    def lfs_batch(self, repo: str) -> None:
        body = self._body_json()
        self._writable(repo) if "ref" in body else self._contributor(repo)    # no ref: for a pull request
        if "xet" in body.get("transfers", []):
            self._json({"transfer": "xet", "objects": [{"oid": o["oid"], "size": o["size"]}
                                                       for o in body.get("objects", [])]})
            return
        objects = []
        for o in body.get("objects", []):
            entry = {"oid": o["oid"], "size": o["size"], "authenticated": True}
            stored = self.server.lfs_dir(repo) / o["oid"]
            if not (stored.exists() and stored.stat().st_size == o["size"]):
                base = self.server.endpoint
                entry["actions"] = {"upload": {"href": f"{base}/lfs-upload/{repo}/{o['oid']}", "header": {}},
                                    "verify": {"href": f"{base}/lfs-verify/{repo}/{o['oid']}", "header": {}}}
            objects.append(entry)
        self._json({"transfer": "basic", "objects": objects, "hash_algo": "sha256"})

    def lfs_verify(self, repo: str, oid: str) -> None:
        body = self._body_json()
        stored = self.server.lfs_dir(repo) / oid
        if body.get("oid") != oid or not stored.exists() or stored.stat().st_size != body.get("size"):
            raise HttpError(404, None, f"object {oid} was not uploaded")
        self._json({"ok": True})

    def commit(self, repo: str, rev: str) -> None:
        r = self._contributor(repo, rev) if self._for_pr() else self._writable(repo, rev)
        if rev not in r.branches:
            raise HttpError(400, None, f"can only commit to a branch, not {rev}")
        lines = [json.loads(x) for x in self.body.splitlines() if x.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HttpError(400, None, "the commit payload must start with a header line")
        parent = lines[0]["value"].get("parentCommit")
        if parent and r.history and parent != r.sha:
            raise HttpError(412, None, "A commit has happened since. Please refresh and try again.")
        writes: list[tuple[str, bytes | Path | None]] = []
        for line in lines[1:]:
            key, v = line["key"], line["value"]
            path = v["path"].strip("/")
            if ".." in path.split("/") or path.startswith("."):
                raise HttpError(400, None, f"invalid path {path}")
            if key == "file":
                writes.append((path, base64.b64decode(v["content"])))
            elif key == "lfsFile":
                stored = self.server.lfs_dir(r.repo_id) / v["oid"]
                if not stored.exists():
                    raise HttpError(422, None, f"LFS object {v['oid']} for {path} was never uploaded")
                writes.append((path, stored))
            elif key in ("deletedFile", "deletedFolder"):
                writes.append((path, None))
            else:
                raise HttpError(400, None, f"unknown commit operation {key}")
        if self._for_pr():
            self._open_pr(r, writes)
            return
        for path, data in writes:       # validated first: a refused commit changes nothing
            target = r.folder / path
            if data is None:
                shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, Path):
                shutil.copyfile(data, target)
            else:
                target.write_bytes(data)
        sha = r.commit(hashlib.sha1(self.body).hexdigest())
        self.server.commits.append((r.repo_id, rev, sha, [p for p, _ in writes]))
        self._json({"commitUrl": f"{self.server.endpoint}/datasets/{r.repo_id}/commit/{sha}",
                    "commitOid": sha, "commitMessage": lines[0]["value"].get("summary", ""),
                    "pullRequestUrl": None, "success": True})

    def _open_pr(self, r: WritableRepo, writes: list) -> None:
        num = 1 + sum(1 for pr in self.server.pull_requests if pr[0] == r.repo_id)
        files = {p: (d.read_bytes() if isinstance(d, Path) else d) for p, d in writes if d is not None}
        self.server.pull_requests.append((r.repo_id, num, self._user().name, files))
        sha = hashlib.sha1(self.body + str(num).encode()).hexdigest()
        url = f"{self.server.endpoint}/datasets/{r.repo_id}"
        self._json({"commitUrl": f"{url}/commit/{sha}", "commitOid": sha, "success": True,
                    "commitMessage": "", "pullRequestUrl": f"{url}/discussions/{num}"})

    def create_tag(self, repo: str, rev: str) -> None:
        r = self._writable(repo, rev)
        tag = self._body_json()["tag"]
        if tag in r.tags:
            raise HttpError(409, None, f"Tag {tag} already exists")
        r.tags.append(tag)
        r.tag_targets[tag] = next((h for h in r.history if h.startswith(rev)), r.sha)
        self._json({"name": tag, "ref": f"refs/tags/{tag}"})

    def delete_tag(self, repo: str, tag: str) -> None:
        r = self._writable(repo)
        if tag not in r.tags:
            raise HttpError(404, "RevisionNotFound", f"Tag {tag} not found")
        r.tags.remove(tag)
        r.tag_targets.pop(tag, None)
        self._json({})

    def create_branch(self, repo: str, branch: str) -> None:
        r = self._writable(repo)
        if branch in r.branches:
            raise HttpError(409, None, f"Branch {branch} already exists")
        r.branches.append(branch)
        self._json({})

    def refs(self, repo: str) -> None:
        r = self._repo(repo)
        targets = getattr(r, "tag_targets", {})
        ref = lambda kind, n, sha: {"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": sha}  # noqa: E731
        self._json({"branches": [ref("heads", b, r.sha) for b in r.branches],
                    "tags": [ref("tags", t, targets.get(t, r.sha)) for t in r.tags], "converts": []})


class WriteHubServer(HubServer):
    """HubServer that also accepts pushes; repos and LFS objects live under `root`."""

    def __init__(self, root: Path, latency: float = 0.0, tokens=(DEFAULT_TOKEN,), user: str = "studio"):
        super().__init__(latency=latency, tokens=tokens)
        self.RequestHandlerClass = WriteHubHandler
        self.root = Path(root)
        self.store = self.root / "lfs"
        self.store.mkdir(parents=True, exist_ok=True)
        self.users: dict[str, User] = {t: User(user) for t in tokens}
        self.orgs: set[str] = set()
        self.commits: list[tuple] = []
        self.create_requests: list[dict] = []     # bodies of POST /api/repos/create
        self.private_by_default: set[str] = set()  # organisations whose new repos are private
        self.pull_requests: list[tuple] = []      # (repo_id, number, author, {path: bytes})
        self._failures: list[list] = []        # [method, path substring, status, remaining]
        self._drops: list[int] = []

    def add_user(self, token: str, name: str, role: str = "write", orgs=()) -> User:
        self.users[token] = User(name, role, list(orgs))
        self.orgs.update(orgs)
        return self.users[token]

    def lfs_dir(self, repo_id: str) -> Path:
        """LFS objects are stored per repo, as on the Hub: another repo's copy does not count."""
        d = self.store / repo_id.replace("/", "--")
        d.mkdir(parents=True, exist_ok=True)
        return d

    def namespaces(self) -> set[str]:
        return {u.name for u in self.users.values()} | self.orgs | {u for o in self.users.values() for u in o.orgs}

    def fail_next(self, method: str, path_part: str, status: int = 503, times: int = 1) -> None:
        self._failures.append([method, path_part, status, times])

    def drop_upload_after(self, received: int, times: int = 1, skip: int = 0) -> None:
        """Cut the next `times` uploads longer than `received` bytes there, letting `skip` such uploads
        through first (shorter uploads always pass)."""
        self._drops.extend([(received, False)] * skip + [(received, True)] * times)

    def take_failure(self, method: str, path: str) -> int | None:
        for f in self._failures:
            if f[0] == method and f[1] in path and f[3] > 0:
                f[3] -= 1
                return f[2]
        return None

    def take_drop(self, length: int) -> int | None:
        if not self._drops or length <= self._drops[0][0]:
            return None
        received, cut = self._drops.pop(0)
        return received if cut else None

    def uploads(self, since: int = 0) -> list[Request]:
        """Completed LFS uploads (PUT answered 200) since log mark `since`."""
        return [r for r in self.log[since:] if r.method == "PUT" and r.status == 200]


__all__ = ["WriteHubServer", "WritableRepo", "User", "DEFAULT_TOKEN", "DATE"]
