"""Logging to a rotating file in the user log dir, plus stderr."""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

from app.paths import log_dir

_TOKEN = re.compile(r"hf_[A-Za-z0-9]{10,}")
_OURS = ("app", "widgets", "bench", "__main__", "root")


class _RedactTokens(logging.Filter):
    """Hugging Face tokens never reach a log, whatever code logs them."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if "hf_" in msg:
            record.msg, record.args = _TOKEN.sub("hf_***", msg), None
        return True


class _OnlyOursBelowWarning(logging.Filter):
    """Keeps libraries' chatter (httpx logs every HTTP request at INFO; huggingface_hub, urllib3, fsspec)
    off the terminal; it still goes to the log file, and their warnings still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".", 1)[0] in _OURS


def setup_logging(level: str = "INFO", directory: Path | None = None) -> Path:
    directory = directory or log_dir()
    path = directory / "teleop-studio.log"
    root = logging.getLogger()
    root.setLevel(level.upper())
    for h in list(root.handlers):
        root.removeHandler(h)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    stream_handler = logging.StreamHandler(sys.stderr)
    for h in (file_handler, stream_handler):
        h.setFormatter(fmt)
        h.addFilter(_RedactTokens())
        root.addHandler(h)
    if root.level > logging.DEBUG:  # --log-level DEBUG shows everything
        stream_handler.addFilter(_OnlyOursBelowWarning())
    return path
