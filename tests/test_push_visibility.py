"""A new repo's visibility: the owner's default unless the user chose private or public, read from the
stand-in's log of create requests (an organisation that makes new repos private keeps that)."""

from __future__ import annotations

from app.hub.push import Push, PushOptions
from tests.push_helpers import TOKEN, make_dataset, remote_files, whub  # noqa: F401
from tests.test_push_cli import cli


def chosen(body: dict) -> str | None:
    """The visibility a create request asks for: 2.x sends `visibility`, 0.x `private`."""
    return body.get("visibility", {True: "private", False: "public"}.get(body.get("private")))


def test_org_repo_keeps_the_org_default_unless_chosen(whub, tmp_path):  # noqa: F811
    whub.add_user(TOKEN, "studio", orgs=["lab"])
    whub.private_by_default.add("lab")
    root = make_dataset(tmp_path / "ds", episodes=1)
    for name, private in (("default", None), ("closed", True), ("open", False)):
        Push(PushOptions(root, f"lab/{name}", private=private, endpoint=whub.endpoint, sleep=lambda s: None)).run()
    bodies = {b["name"]: b for b in whub.create_requests}
    assert {b.get("organization") for b in bodies.values()} == {"lab"}
    assert "visibility" not in bodies["default"] and "private" not in bodies["default"]
    assert chosen(bodies["closed"]) == "private" and chosen(bodies["open"]) == "public"
    assert whub.repos["lab/default"].private and whub.repos["lab/closed"].private
    assert not whub.repos["lab/open"].private
    cards = {n: remote_files(whub, f"lab/{n}")["README.md"].decode() for n in ("default", "closed", "open")}
    assert "**Visibility:** the owner's default" in cards["default"]
    assert "**Visibility:** private" in cards["closed"] and "**Visibility:** public" in cards["open"]


def test_command_line_private_public_or_neither(tmp_path):
    from tests.hub_server_write import WriteHubServer

    root = make_dataset(tmp_path / "ds", episodes=1)
    with WriteHubServer(tmp_path / "hub") as hub:
        hub.add_user(TOKEN, "studio", orgs=["lab"])
        hub.private_by_default.add("lab")
        runs = {name: cli(hub, tmp_path, "push", str(root), "--repo-id", f"lab/{name}", *flags)
                for name, flags in (("plain", ()), ("closed", ("--private",)), ("open", ("--public",)))}
        both = cli(hub, tmp_path, "push", str(root), "--repo-id", "lab/both", "--private", "--public")
        bodies = {b["name"]: b for b in hub.create_requests}
    assert all(r.returncode == 0 for r in runs.values()), [r.stderr for r in runs.values()]
    assert "owner's default visibility" in runs["plain"].stdout
    assert chosen(bodies["plain"]) is None and chosen(bodies["closed"]) == "private"
    assert chosen(bodies["open"]) == "public"
    assert both.returncode == 2 and "not allowed with argument" in both.stderr and "both" not in bodies
