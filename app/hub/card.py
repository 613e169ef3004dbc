"""The dataset card (README.md) the Hub and lerobot expect, built from the dataset's own metadata.

Front matter as lerobot's push_to_hub writes it (format spec §10): license apache-2.0, task category
robotics, tags starting with LeRobot, and `configs` pointing the Hub viewer at data/*/*.parquet. The body
adds a summary table (episodes, frames, fps, cameras, tasks) and info.json, like lerobot's card.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq

from app.dataset import layout as L


def _yaml_str(value: str) -> str:
    """A YAML scalar that is always read back as this exact string (quoted unless plainly safe)."""
    value = str(value)
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.\-]*", value) and value.lower() not in ("yes", "no", "true",
                                                                                     "false", "null", "on", "off"):
        return value
    return json.dumps(value, ensure_ascii=False)


def _tasks(root: Path) -> list[str]:
    path = root / L.TASKS_PATH
    if not path.exists():
        return []
    table = pq.read_table(path)
    for col in ("task", "__index_level_0__"):
        if col in table.column_names:
            return [str(t) for t in table.column(col).to_pylist()]
    return []


def summary(root: Path) -> dict:
    """What the card tells about the dataset, from meta/info.json and meta/tasks.parquet."""
    info = json.loads((Path(root) / L.INFO_PATH).read_text())
    feats = info.get("features", {})
    cameras = {k: tuple(v.get("shape", [])[:2]) for k, v in feats.items() if v.get("dtype") == "video"}
    codecs = sorted({str(v.get("info", {}).get("video.codec", "?")) for k, v in feats.items() if k in cameras})
    return {"info": info, "episodes": int(info.get("total_episodes", 0)), "frames": int(info.get("total_frames", 0)),
            "fps": info.get("fps"), "robot_type": info.get("robot_type") or "unknown", "cameras": cameras,
            "codecs": codecs, "tasks": _tasks(Path(root))}


VISIBILITY = {True: "private (chosen when pushing)", False: "public (chosen when pushing)",
              None: "the owner's default (an organisation may make new datasets private)"}


def build_card(root: Path, repo_id: str, tags: list[str] | tuple[str, ...] = (),
               license: str = "apache-2.0", private: bool | None = None) -> str:
    s = summary(root)
    all_tags = ["LeRobot"] + [t for t in dict.fromkeys(tags) if t and t != "LeRobot"]
    if s["robot_type"] != "unknown" and s["robot_type"] not in all_tags:
        all_tags.append(s["robot_type"])
    front = ["---", f"license: {license}", "task_categories:", "- robotics", "tags:"]
    front += [f"- {_yaml_str(t)}" for t in all_tags]
    front += [f"robot_type: {_yaml_str(s['robot_type'])}",
              "configs:", "- config_name: default", "  data_files: data/*/*.parquet", "---", ""]
    cams = ", ".join(f"`{k.removeprefix('observation.images.')}` {w}x{h}" if (h and w) else f"`{k}`"
                     for k, (h, w) in ((k, (v + (0, 0))[:2]) for k, v in s["cameras"].items())) or "none"
    tasks = s["tasks"]
    task_cell = "; ".join(t.replace("|", "\\|") for t in tasks[:10]) + (f" (+{len(tasks) - 10} more)"
                                                                        if len(tasks) > 10 else "")
    body = [
        f"# {repo_id}", "",
        "This dataset was recorded with Teleop Studio and created with "
        "[LeRobot](https://github.com/huggingface/lerobot).", "",
        f"[Visualize this dataset](https://huggingface.co/spaces/lerobot/visualize_dataset?path={repo_id})", "",
        "## Summary", "",
        "| episodes | frames | fps | robot | cameras | video codec | tasks |",
        "|---|---|---|---|---|---|---|",
        f"| {s['episodes']} | {s['frames']} | {s['fps']} | {s['robot_type']} | {cams} | "
        f"{', '.join(s['codecs']) or '-'} | {task_cell or '-'} |", "",
        "- **License:** apache-2.0",
        f"- **Visibility:** {VISIBILITY[private]}",
        f"- **Format:** LeRobot {s['info'].get('codebase_version', L.CODEBASE_VERSION)} "
        "(the `v3.0` tag marks the revision lerobot loads)", "",
        "## Dataset Structure", "",
        "[meta/info.json](meta/info.json):", "```json", json.dumps(s["info"], indent=4), "```", "",
        "## Citation", "", "**BibTeX:**", "", "```bibtex", "[More Information Needed]", "```", "",
    ]
    return "\n".join(front + body)


def front_matter(text: str) -> str:
    """The YAML between the leading `---` lines of a card ('' when there is none)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return ""
    for i, line in enumerate(lines[1:], 1):
        if line.strip() == "---":
            return "\n".join(lines[1:i])
    return ""
