"""Spoken cues at start / stop / reset, like lerobot-record's --play_sounds, without a dependency:
the system's offline text-to-speech program when one is installed (espeak-ng, espeak, spd-say, or
macOS `say`); otherwise nothing is said and `available` is False so the session dialog can say so."""

from __future__ import annotations

import logging
import shutil
import subprocess

log = logging.getLogger(__name__)
PROGRAMS = (("espeak-ng", ["-s", "170"]), ("espeak", ["-s", "170"]), ("spd-say", []), ("say", []))


class Speaker:
    def __init__(self):
        self.command: list[str] | None = None
        for name, args in PROGRAMS:
            path = shutil.which(name)
            if path:
                self.command = [path, *args]
                break
        self._last: subprocess.Popen | None = None

    @property
    def available(self) -> bool:
        return self.command is not None

    def say(self, text: str) -> bool:
        """Start speaking and return at once (a cue still speaking is cut short)."""
        if self.command is None:
            return False
        if self._last is not None and self._last.poll() is None:
            self._last.terminate()
        try:
            self._last = subprocess.Popen([*self.command, text], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            log.info("spoken cue failed: %s", exc)
            return False
        return True
