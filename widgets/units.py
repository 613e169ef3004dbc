"""How sizes and durations read in the panels (one convention everywhere: decimal MB, m:ss)."""

from __future__ import annotations


def fmt_bytes(n: float) -> str:
    if n <= 0:
        return ""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""


def fmt_duration(s: float | None, missing: str = "") -> str:
    if s is None:
        return missing
    s = int(round(s))
    return f"{s // 60}:{s % 60:02d}" if s >= 60 else f"{s} s"
