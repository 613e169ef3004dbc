"""One HTTP range request to the Hub, bounded: a fixed pool of fetch threads for everything remote,
a per-response byte budget, and 429/5xx retried with back-off before the Hub is called busy.

A server that ignores Range answers 200 with the whole file: that is accepted only when the whole
file was asked for; otherwise nothing of the body is read and the user is told. A body longer than
asked for is cut off. 4xx errors go through huggingface_hub's own error types (not found, gated) from
at most 64 KB of their body.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from app.hub.errors import HubError

log = logging.getLogger(__name__)
FETCHERS = 8                    # threads fetching ranges, all datasets together, whatever a listing says
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
RETRY_STATUS = (429, 500, 502, 503, 504)
BACKOFF = (0.5, 1.5, 4.0)       # seconds before each retry of a busy or unavailable Hub
MAX_ERROR_BODY = 64 * 1024


def spawn(fn, *args) -> Future:
    """Run fn on the shared pool of FETCHERS threads (created on first use, kept for the process).
    Cancelling the future before it starts skips it."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(FETCHERS, thread_name_prefix="hub-fetch")
        return _POOL.submit(fn, *args)


def _retry_after(response, attempt: int) -> float:
    try:
        return min(10.0, max(0.0, float(response.headers.get("Retry-After", ""))))
    except ValueError:
        return BACKOFF[attempt]


def _busy(rel: str, status: int) -> HubError:
    what = "busy (too many requests)" if status == 429 else "unavailable"
    return HubError(f"The Hub is {what}: reading {rel} got HTTP {status} {len(BACKOFF) + 1} times. "
                    "Wait a minute and try again.")


def is_network_error(exc: BaseException) -> bool:
    name = type(exc).__name__
    return isinstance(exc, (TimeoutError, ConnectionError)) or "Timeout" in name or name in (
        "ConnectError", "NetworkError", "RemoteProtocolError", "ReadError")


def get_range(url: str, headers: dict, rel: str, start: int, end: int, timeout: float, whole: bool) -> bytes:
    """Bytes [start, end) of `url` (at most that many are read); `whole`: [start, end) is the file."""
    from huggingface_hub.utils import get_session

    headers = {**headers, "Range": f"bytes={start}-{end - 1}"}
    cut = 0
    for attempt in range(len(BACKOFF) + 1):
        try:
            with get_session().stream("GET", url, headers=headers, timeout=timeout) as r:
                status = r.status_code
                if status in RETRY_STATUS and attempt < len(BACKOFF):
                    pause = _retry_after(r, attempt)
                    log.info("%s: HTTP %d, retrying in %.1f s", rel, status, pause)
                    time.sleep(pause)
                    continue
                if status in RETRY_STATUS:
                    raise _busy(rel, status)
                if status >= 400:
                    _raise_http(r)
                data = _body(r, rel, start, end, whole)
            break
        except Exception as exc:  # one quick retry on a cut connection, then give up
            if cut or not is_network_error(exc):
                raise
            cut += 1
            log.info("retrying %s [%d, %d) after %s", rel, start, end, type(exc).__name__)
    else:  # pragma: no cover - the loop always breaks or raises
        raise _busy(rel, 503)
    return data


def _body(r, rel: str, start: int, end: int, whole: bool) -> bytes:
    """At most end - start bytes of a response body (the per-response byte budget)."""
    want = end - start
    if r.status_code == 200 and not whole:
        raise HubError(f"The server ignored the byte range asked for {rel} (HTTP 200 instead of 206): "
                       "it would send the whole file for every read. Check the endpoint "
                       "(HF_ENDPOINT) or the proxy in between.")
    if r.status_code not in (200, 206):
        raise HubError(f"Unexpected HTTP {r.status_code} from the Hub while reading {rel}.")
    chunks, got = [], 0
    for chunk in r.iter_bytes():
        chunks.append(chunk)
        got += len(chunk)
        if got > want:
            raise HubError(f"The Hub sent more bytes for {rel} than asked for ({got} > {want}); "
                           "stopped reading. The file may have changed or the server is misbehaving.")
    return b"".join(chunks)


def _raise_http(r) -> None:
    """huggingface_hub's error for a 4xx (not found, gated, ...) from at most 64 KB of its body."""
    from huggingface_hub.utils import hf_raise_for_status

    body = b""
    for chunk in r.iter_bytes():
        body += chunk
        if len(body) > MAX_ERROR_BODY:
            body = body[:MAX_ERROR_BODY]
            break
    small = type(r)(r.status_code, headers=r.headers, content=body, request=r.request)
    hf_raise_for_status(small)
    raise HubError(f"HTTP {r.status_code} from the Hub")
