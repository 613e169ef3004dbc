"""Where every file of a LeRobot v3.0 dataset lives: path templates, (chunk, file) numbering, safe paths.

Every path built from metadata goes through `format_path`/`safe_relpath`, which refuse templates or
values that would escape the dataset root (absolute paths, `..`, backslashes, drive letters), so
hostile metadata raises DatasetError before any file is touched.
"""

from __future__ import annotations

import posixpath
import re
import string

from app.dataset.errors import DatasetError

CODEBASE_VERSION = "v3.0"
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
INFO_PATH = "meta/info.json"
STATS_PATH = "meta/stats.json"
TASKS_PATH = "meta/tasks.parquet"
STUDIO_DIR = ".studio"
COMMITS_PATH = ".studio/commits.json"
INTENT_PATH = ".studio/commit-intent.json"
LOCK_PATH = ".studio/writer.lock"

DEFAULT_CHUNKS_SIZE = 1000
DEFAULT_DATA_MB = 100
DEFAULT_VIDEO_MB = 200
MB = 1024 * 1024

# Sanity limits for metadata read from disk (anything larger is treated as hostile or corrupt).
MAX_EPISODES = 10_000_000
MAX_FRAMES = 10_000_000_000
MAX_DIM = 16384
MAX_VECTOR = 100_000
MAX_CHUNKS_SIZE = 1_000_000

# lerobot's v3.0 templates use these placeholders only, indices with a zero-padded width (`:03d`).
_ALLOWED_FIELDS = {"chunk_index", "file_index", "video_key"}
_INDEX_SPEC = re.compile(r"^(0?[1-9]\d?)?d$|^$")     # "", "d", "03d", ... up to a width of 99
MAX_WIDTH = 20
MAX_TEMPLATE = 512
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def next_file(chunk: int, file: int, chunks_size: int) -> tuple[int, int]:
    """The (chunk, file) that follows (chunk, file): files fill a chunk directory, then the next chunk."""
    if file + 1 >= chunks_size:
        return chunk + 1, 0
    return chunk, file + 1


def check_name(name: str, what: str = "feature") -> str:
    """Feature names become column-name parts and directory names: no '/', no '..', plain characters."""
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", "..") \
            or not _NAME_RE.match(name) or len(name) > 200:
        raise DatasetError(f"invalid {what} name {name!r}: use letters, digits, '.', '_' or '-' (no '/')")
    return name


def check_template(template: str, what: str, required: set[str]) -> str:
    """A path template must be relative, stay inside the root and use only known placeholders."""
    if not isinstance(template, str) or not template:
        raise DatasetError(f"{what} must be a non-empty string, got {template!r}")
    shown = template if len(template) <= 80 else template[:77] + "..."
    if len(template) > MAX_TEMPLATE:
        raise DatasetError(f"{what} {shown!r} is longer than {MAX_TEMPLATE} characters")
    fields = set()
    try:
        for _, field, spec, conversion in string.Formatter().parse(template):
            if field is None:
                continue
            fields.add(field)
            if conversion or (field == "video_key" and spec) or not _INDEX_SPEC.match(spec or ""):
                raise ValueError(f"placeholder {{{field}}} has format {spec!r}{' !' + conversion if conversion else ''}"
                                 " (lerobot uses {chunk_index:03d}, {file_index:03d}, {video_key})")
            width = re.match(r"^0?(\d*)", spec or "")[1]
            if width and int(width) > MAX_WIDTH:
                raise ValueError(f"placeholder {{{field}}} asks for a width of {width} (at most {MAX_WIDTH})")
    except ValueError as exc:
        raise DatasetError(f"{what} {shown!r} is not a valid template: {str(exc)[:200]}") from None
    unknown = fields - _ALLOWED_FIELDS
    if unknown:
        raise DatasetError(f"{what} {shown!r} uses unknown placeholders {sorted(unknown)[:5]}")
    missing = required - fields
    if missing:
        raise DatasetError(f"{what} {shown!r} lacks placeholders {sorted(missing)}")
    safe_relpath(template.replace("{", "").replace("}", ""), what)
    return template


def safe_relpath(rel: str, what: str = "path") -> str:
    """Normalise a dataset-relative POSIX path; refuse anything that could leave the root."""
    if not isinstance(rel, str) or not rel:
        raise DatasetError(f"{what} is empty or not a string: {rel!r}")
    if rel.startswith(("/", "\\")) or "\\" in rel or re.match(r"^[A-Za-z]:", rel) or "\x00" in rel:
        raise DatasetError(f"{what} {rel!r} is absolute or not a plain relative path")
    parts = rel.split("/")
    if any(p in ("..", "") for p in parts):
        raise DatasetError(f"{what} {rel!r} escapes the dataset root or has empty parts")
    return posixpath.normpath(rel)


def format_path(template: str, what: str = "path", **fields) -> str:
    """Fill a template and check the result stays inside the dataset root."""
    for key, value in fields.items():
        if key == "video_key":
            check_name(value, "video key")
        elif not isinstance(value, int) or value < 0 or value > MAX_CHUNKS_SIZE * 1000:
            raise DatasetError(f"{what}: {key}={value!r} is not a plausible index")
    try:
        rel = template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise DatasetError(f"{what} template {template!r} cannot be filled: {exc}") from None
    return safe_relpath(rel, what)


def data_path(info: dict, chunk: int, file: int) -> str:
    return format_path(info.get("data_path") or DATA_PATH, "data_path", chunk_index=chunk, file_index=file)


def video_path(info: dict, video_key: str, chunk: int, file: int) -> str:
    template = info.get("video_path")
    if not template:
        raise DatasetError("info.json has video features but video_path is null")
    return format_path(template, "video_path", video_key=video_key, chunk_index=chunk, file_index=file)


def episodes_path(chunk: int, file: int) -> str:
    return format_path(EPISODES_PATH, "episodes path", chunk_index=chunk, file_index=file)
