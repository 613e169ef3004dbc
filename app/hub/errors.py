"""Turns whatever a remote read raised into one sentence a reviewer can act on."""

from __future__ import annotations

import re

from app.dataset.errors import DatasetError

_TOKEN = re.compile(r"hf_[A-Za-z0-9]{6,}")


class HubError(Exception):
    """A Hub dataset that cannot be opened or read; the message is meant for the user."""


def _redact(text: str) -> str:
    return _TOKEN.sub("hf_***", text)


def explain(exc: BaseException, what: str = "the dataset") -> str:
    """A clear message for `exc` (never a traceback, never a token)."""
    from huggingface_hub import errors as hf

    name = type(exc).__name__
    if isinstance(exc, (HubError, DatasetError)):
        return _redact(str(exc))
    if isinstance(exc, hf.GatedRepoError):
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 403:
            return (f"{what} is gated and your Hugging Face account has no access yet: accept its "
                    "conditions on the dataset's Hub page, then try again.")
        return (f"{what} is gated: log in with `hf auth login` and accept its conditions on the "
                "dataset's Hub page.")
    if isinstance(exc, hf.RevisionNotFoundError):
        return f"{what}: that revision (branch, tag or commit) does not exist on the Hub."
    if isinstance(exc, hf.RepositoryNotFoundError):
        return (f"{what} was not found on the Hub. Check the id (owner/name); a private dataset "
                "also needs `hf auth login`.")
    if isinstance(exc, (hf.EntryNotFoundError, FileNotFoundError)):
        return f"A file of {what} is missing: {_redact(str(exc)).splitlines()[0][:200]}"
    if isinstance(exc, TimeoutError) or "Timeout" in name:
        return f"The Hub did not answer in time while reading {what}. Check the network and retry."
    if isinstance(exc, ConnectionError) or name in ("ConnectError", "RemoteProtocolError",
                                                    "ReadError", "NetworkError"):
        return f"Cannot reach the Hub while reading {what} (network down or connection cut)."
    if type(exc).__module__.startswith("pyarrow") or name in ("ArrowInvalid", "ArrowException"):
        return f"A parquet file of {what} is truncated or corrupt ({_redact(str(exc))[:160]})."
    if type(exc).__module__.startswith("av"):
        return f"A video of {what} is truncated or corrupt ({_redact(str(exc))[:160]})."
    if isinstance(exc, hf.HfHubHTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 429 or (status or 0) >= 500:
            return (f"The Hub is {'busy' if status == 429 else 'unavailable'} (HTTP {status}) while reading "
                    f"{what}. Wait a minute and try again.")
        return f"The Hub refused a request for {what} (HTTP {status}): {_redact(str(exc)).splitlines()[0][:200]}"
    if isinstance(exc, OSError):
        return f"Reading {what} failed: {_redact(str(exc))[:200]}"
    if isinstance(exc, (KeyError, IndexError, TypeError, ValueError, AttributeError)):
        return (f"{what} has metadata of an unexpected shape ({name}: {_redact(str(exc))[:120]}). "
                "Run `teleop-studio check` on a local copy to see which file is wrong.")
    if isinstance(exc, (RecursionError, OverflowError, MemoryError)):
        return (f"{what} holds a value too deep or too large to read ({name}); it is corrupt or hostile. "
                "Run `teleop-studio check` on a local copy to see which file is wrong.")
    return f"Reading {what} failed ({name}: {_redact(str(exc))[:200]}); please report this with the log file."
