"""`teleop-studio find-cameras`: every camera plugged in, with the sizes and frame rates it offers
(and video files given as arguments, which can stand in for a camera: index_or_path / profile device)."""

from __future__ import annotations

NAME = "find-cameras"
HELP = "list the cameras plugged in with the sizes and frame rates each offers"


def add_arguments(p) -> None:
    p.add_argument("files", nargs="*", metavar="VIDEO_FILE", help="also describe these video files")


def run(args) -> int:
    from app.rig.discovery import list_video_devices, probe_camera, probe_video_file

    devices = list_video_devices()
    if not devices:
        print("No camera found (no /dev/video* device). A video file can stand in for one: "
              "index_or_path: clip.mp4")
    for d in devices:
        print("\n".join(probe_camera(d.path, d.name).lines()), flush=True)
    code = 0
    for path in args.files:
        modes = probe_video_file(path)
        code = code or int(bool(modes.error))
        print("\n".join(modes.lines()))
    return code
