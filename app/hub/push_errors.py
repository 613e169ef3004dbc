"""Why a push stopped, in one sentence, and whether trying again may help (network, 5xx, 429)."""

from __future__ import annotations

from app.hub.errors import _redact

TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}


class PushError(Exception):
    """A push that stopped; the message is for the user (never contains the token)."""

    can_open_pr = False      # no write access to an existing repo: a pull request would be accepted


class PushCancelled(PushError):
    pass


def _status(exc: BaseException) -> int | None:
    return getattr(getattr(exc, "response", None), "status_code", None)


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_transient(exc: BaseException) -> bool:
    from app.hub.http_range import is_network_error

    for e in _chain(exc):
        if _status(e) in TRANSIENT_STATUS:
            return True
        if is_network_error(e) or type(e).__name__ in ("WriteError", "WriteTimeout", "ReadTimeout",
                                                          "ConnectTimeout", "PoolTimeout", "TimeoutException"):
            return True
    return False


def no_write_access(exc: BaseException) -> bool:
    return any(_status(e) == 403 for e in _chain(exc))


def explain_push(exc: BaseException, repo_id: str) -> str:
    """One sentence for a failed push."""
    for e in _chain(exc):
        if isinstance(e, PushError):
            return _redact(str(e))
    status = next((s for s in map(_status, _chain(exc)) if s is not None), None)
    owner = repo_id.split("/")[0]
    if status == 401:
        return ("The Hugging Face token was refused (invalid or expired). Log in again with "
                "`hf auth login` or fix HF_TOKEN.")
    if status == 403:
        return (f"Your token cannot write to {repo_id}: use a token with write access (`hf auth login`), "
                f"and for an organisation make sure you may create datasets in '{owner}'.")
    if status == 404:
        return (f"'{owner}' is not a user or organisation on the Hub (or {repo_id} is not reachable with "
                "your token). Check the repo id.")
    if status in TRANSIENT_STATUS or is_transient(exc):
        what = f"server error {status}" if status else "the connection was lost"
        return (f"The upload to {repo_id} stopped: {what}. Files already sent stay on the Hub; push again "
                "to resume.")
    return f"Push to {repo_id} failed: {type(exc).__name__}: {_redact(str(exc))[:300]}"
