"""Commands stay quiet: HTTP libraries' INFO lines (one per request) reach neither stdout nor stderr
unless --log-level DEBUG; they still go to the log file, and warnings still show."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from app.logs import setup_logging
from tests.hub_fixtures import hub  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _stream(hub, tmp_path, *args):  # noqa: F811
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TELEOP_STUDIO_LOG"))}
    env.update(hub.client_env(tmp_path / "hf_home"), PYTHONPATH=ROOT, TELEOP_STUDIO_LOG_DIR=str(tmp_path / "logs"),
               TELEOP_STUDIO_CACHE_DIR=str(tmp_path / "studio-cache"))
    return subprocess.run([sys.executable, "-m", "app", *args, "stream", "fixtures/so101_3ep", "--limit", "5"],
                          env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)


def test_stream_prints_no_http_request_lines(hub, tmp_path):  # noqa: F811
    p = _stream(hub, tmp_path)
    assert p.returncode == 0, p.stderr
    assert "streaming fixtures/so101_3ep" in p.stdout
    out = p.stdout + p.stderr
    assert "HTTP Request" not in out and "httpx" not in out and "huggingface_hub" not in out, out
    assert "HTTP Request" in (tmp_path / "logs" / "teleop-studio.log").read_text()  # kept for diagnosis


def test_debug_level_shows_them(hub, tmp_path):  # noqa: F811
    p = _stream(hub, tmp_path, "--log-level", "DEBUG")
    assert p.returncode == 0, p.stderr
    assert "HTTP Request: GET" in p.stderr


def test_library_warnings_still_reach_the_terminal(tmp_path, capsys):
    try:
        setup_logging("INFO", tmp_path)
        logging.getLogger("httpx").info("HTTP Request: GET http://x")
        logging.getLogger("urllib3.connectionpool").info("Starting new HTTPS connection")
        logging.getLogger("huggingface_hub").warning("slow down")
        logging.getLogger("app.x").info("ours")
        err = capsys.readouterr().err
        assert "HTTP Request" not in err and "Starting new" not in err
        assert "huggingface_hub: slow down" in err and "app.x: ours" in err
        assert "HTTP Request" in (tmp_path / "teleop-studio.log").read_text()
    finally:
        for h in list(logging.getLogger().handlers):
            logging.getLogger().removeHandler(h)
            h.close()
