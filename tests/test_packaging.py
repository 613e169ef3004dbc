"""Fast checks of the installers' pieces: desktop entry, udev rules, version, maintainer scripts, and a
real .deb built from a stand-in bundle and installed/purged with dpkg into a temporary root.
The full install test (clean Debian root, the real bundle) is `make package-test`."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "packaging"
DESKTOP = REPO / "resources" / "desktop" / "teleop-studio.desktop"
RULES = PKG / "deb" / "70-teleop-studio.rules"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
SH = shutil.which("dash") or "/bin/sh"  # Debian runs maintainer scripts with dash

FEETECH_ADAPTERS = {("1a86", "7523"), ("1a86", "55d3"), ("0403", "6001"), ("0403", "6014"), ("0403", "6015")}


# -- desktop entry ----------------------------------------------------------------------------------
def desktop_entry() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(DESKTOP.read_text("utf-8"))
    return parser


def exec_argv(value: str) -> list[str]:
    """An Exec value as argv, field codes (%f, %U, ...) dropped, as a launcher would run it."""
    return [arg for arg in shlex.split(value) if not re.fullmatch(r"%[fFuUick]", arg)]


def test_desktop_file_validates():
    validator = shutil.which("desktop-file-validate")
    if validator:
        result = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    entry = desktop_entry()["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    for key in ("Name", "Exec", "Icon", "Categories"):
        assert entry.get(key), key
    assert entry["Categories"].endswith(";")


def test_desktop_exec_lines_run_the_installed_command_with_valid_arguments():
    from app.cli import build_parser

    script = next(iter(PYPROJECT["project"]["scripts"]))
    entry = desktop_entry()
    main = entry["Desktop Entry"]
    execs = [main["Exec"]] + [entry[f"Desktop Action {a}"]["Exec"] for a in main["Actions"].split(";") if a]
    assert len(execs) >= 2
    for value in execs:
        argv = exec_argv(value)
        assert argv[0] == script, value  # on PATH via /usr/bin/teleop-studio
        build_parser().parse_args(argv[1:])  # exits (SystemExit) on an argument the CLI does not know
    assert main["TryExec"] == script
    assert any("--sim" in exec_argv(v) for v in execs[1:]), "an action starts the simulated rig"
    assert (REPO / "resources" / "icons" / f"{main['Icon']}.svg").is_file()


# -- udev rules -------------------------------------------------------------------------------------
RULE_TOKEN = re.compile(r'\s*([A-Z_]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "SUBSYSTEMS", "KERNEL", "ATTRS", "ATTR", "ENV", "TAG", "DRIVERS"}
ASSIGN_KEYS = {"MODE", "GROUP", "OWNER", "TAG", "ENV", "GOTO", "LABEL", "SYMLINK", "RUN"}


def parse_rules(text: str) -> list[list[tuple[str, str | None, str, str]]]:
    rules = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        tokens, pos = [], 0
        while pos < len(line):
            m = RULE_TOKEN.match(line, pos)
            assert m, f"line {n}: cannot parse at {line[pos:]!r}"
            key, attr, op, value = m.groups()
            if op in ("==", "!="):
                assert key in MATCH_KEYS, f"line {n}: {key} cannot be matched"
            else:
                assert key in ASSIGN_KEYS, f"line {n}: {key} cannot be assigned"
            tokens.append((key, attr, op, value))
            pos = m.end()
        rules.append(tokens)
    return rules


def test_udev_rules_parse_and_cover_the_feetech_adapters_and_cameras():
    rules = parse_rules(RULES.read_text())
    labels = {v for rule in rules for k, _, _, v in rule if k == "LABEL"}
    gotos = {v for rule in rules for k, _, _, v in rule if k == "GOTO"}
    assert gotos <= labels
    serial = {}
    for rule in rules:
        d = {(k, a, op): v for k, a, op, v in rule}
        if d.get(("SUBSYSTEM", None, "==")) == "tty":
            serial[(d[("ATTRS", "idVendor", "==")], d[("ATTRS", "idProduct", "==")])] = d
        if d.get(("SUBSYSTEM", None, "==")) == "video4linux":
            assert d[("TAG", None, "+=")] == "uaccess" and d[("GROUP", None, "=")] == "video"
            video_rule = d
    assert set(serial) == FEETECH_ADAPTERS
    for d in serial.values():
        assert d[("TAG", None, "+=")] == "uaccess" and d[("GROUP", None, "=")] == "dialout"
        assert d[("MODE", None, "=")] == "0660" and d[("ENV", "ID_MM_DEVICE_IGNORE", "=")] == "1"
    assert video_rule
    # systemd applies uaccess in 73-seat-late.rules: a TAG+="uaccess" in a later file has no effect
    assert RULES.name < "73-seat-late.rules"


def test_udev_rules_parser_rejects_broken_lines():
    with pytest.raises(AssertionError):
        parse_rules('SUBSYSTEM=="tty", ATTRS{idVendor}=="1a86" MODE="0660"')  # missing comma
    with pytest.raises(AssertionError):
        parse_rules('SUBSYSTEM=="tty", MODE=="0660"')  # MODE is not a match key


# -- version ------------------------------------------------------------------------------------------
def test_version_comes_from_pyproject():
    out = subprocess.run(["bash", "-c", f"source {PKG}/common.sh && project_version"], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == PYPROJECT["project"]["version"]
    assert "@VERSION@" in (PKG / "deb" / "control.in").read_text()


# -- maintainer scripts -------------------------------------------------------------------------------
def run_script(name: str, *args: str, path: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([SH, str(PKG / "deb" / name), *args], capture_output=True, text=True,
                          env={"PATH": path, **env})


def fake_udevadm(tmp_path: Path, running: bool) -> Path:
    """udevadm that logs its arguments; `control --ping` answers as a running or absent daemon."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "udevadm.log"
    tool = bindir / "udevadm"
    tool.write_text(f'#!/bin/sh\necho "$*" >> {log}\n'
                    f'[ "$2" = --ping ] && exit {0 if running else 1}\nexit 0\n')
    tool.chmod(0o755)
    return bindir


def test_maintainer_scripts_without_udevadm_succeed(tmp_path):
    bare = tmp_path / "empty-bin"
    bare.mkdir()
    for link in ("sh", "find", "rm", "mkdir"):  # the scripts' only tools besides udevadm
        os.symlink(shutil.which(link), bare / link)
    for name, args in (("postinst", ["configure", ""]), ("prerm", ["remove"])):
        result = run_script(name, *args, path=str(bare))
        assert result.returncode == 0, (name, result.stderr)
    for action in ("remove", "purge"):
        root = tmp_path / action
        root.mkdir()
        result = run_script("postrm", action, path=str(bare), DPKG_ROOT=str(root))
        assert result.returncode == 0, result.stderr
        # dpkg drops /opt with the package's last file (base-files makes /opt without owning it)
        assert (root / "opt").is_dir()


def test_postinst_reloads_and_triggers_a_running_udev(tmp_path):
    bindir = fake_udevadm(tmp_path, running=True)
    assert run_script("postinst", "configure", path=f"{bindir}:/usr/bin:/bin").returncode == 0
    calls = (tmp_path / "udevadm.log").read_text().splitlines()
    assert calls[0] == "control --ping" and "control --reload-rules" in calls
    trigger = next(c for c in calls if c.startswith("trigger"))
    assert "--subsystem-match=tty" in trigger and "--subsystem-match=video4linux" in trigger
    if Path("/opt").is_dir():  # with DPKG_ROOT empty, postrm would otherwise make /opt on this machine
        assert run_script("postrm", "purge", path=f"{bindir}:/usr/bin:/bin").returncode == 0
        assert (tmp_path / "udevadm.log").read_text().splitlines().count("control --reload-rules") == 2


def test_maintainer_scripts_leave_a_stopped_or_foreign_udev_alone(tmp_path):
    bindir = fake_udevadm(tmp_path, running=False)
    assert run_script("postinst", "configure", path=f"{bindir}:/usr/bin:/bin").returncode == 0
    assert (tmp_path / "udevadm.log").read_text().splitlines() == ["control --ping"]
    (tmp_path / "udevadm.log").unlink()
    # installing into another root: never the running system's udev
    (tmp_path / "x").mkdir()
    bindir_running = fake_udevadm(tmp_path / "x", running=True)
    assert run_script("postinst", "configure", path=f"{bindir_running}:/usr/bin:/bin",
                      DPKG_ROOT=str(tmp_path)).returncode == 0
    assert not (tmp_path / "x" / "udevadm.log").exists()


def test_prerm_removes_byte_code_caches_only(tmp_path):
    opt = tmp_path / "opt" / "teleop-studio"
    (opt / "_internal" / "__pycache__").mkdir(parents=True)
    (opt / "_internal" / "__pycache__" / "x.cpython-312.pyc").write_bytes(b"\0")
    (opt / "teleop-studio").write_text("#!/bin/sh\n")
    assert run_script("prerm", "remove", path="/usr/bin:/bin", DPKG_ROOT=str(tmp_path)).returncode == 0
    assert not (opt / "_internal" / "__pycache__").exists()
    assert (opt / "teleop-studio").exists()


# -- a real .deb, installed and purged by dpkg in a temporary root ----------------------------------------
@pytest.mark.skipif(not (shutil.which("dpkg-deb") and shutil.which("dpkg")), reason="needs dpkg (Debian/Ubuntu)")
def test_deb_from_a_stand_in_bundle_installs_and_purges_cleanly(tmp_path):
    out = tmp_path / "out"
    bundle = out / "dist" / "teleop-studio"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "_internal" / "data.txt").write_text("stand-in for the PyInstaller bundle\n")
    launcher = bundle / "teleop-studio"
    launcher.write_text("#!/bin/sh\necho stand-in\n")
    launcher.chmod(0o700)  # build_deb.sh must make it usable by everyone
    subprocess.run(["bash", str(PKG / "build_deb.sh")], env={**os.environ, "TELEOP_PACKAGING_OUT": str(out)},
                   check=True, capture_output=True, timeout=120)
    version = PYPROJECT["project"]["version"]
    deb = next(out.glob("teleop-studio_*.deb"))
    assert deb.name.startswith(f"teleop-studio_{version}_")

    def field(name):
        return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True).stdout.strip()

    assert field("Version") == version and field("Package") == "teleop-studio"
    assert re.match(r"libc6 \(>= [\d.]+\), libegl1, ", field("Depends"))
    assert int(field("Installed-Size")) >= 1

    root = tmp_path / "root"
    (root / "var" / "lib" / "dpkg" / "info").mkdir(parents=True)
    (root / "var" / "lib" / "dpkg" / "updates").mkdir()
    (root / "var" / "lib" / "dpkg" / "status").touch()
    dpkg = ["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends", "--force-not-root",
            f"--log={tmp_path / 'dpkg.log'}"]
    env = {**os.environ, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    subprocess.run(dpkg + ["-i", str(deb)], check=True, capture_output=True, env=env, timeout=120)
    installed = {p.relative_to(root).as_posix() for p in root.rglob("*") if "var/lib/dpkg" not in p.as_posix()}
    for path in ("opt/teleop-studio/teleop-studio", "usr/share/applications/teleop-studio.desktop",
                 "usr/share/icons/hicolor/scalable/apps/teleop-studio.svg",
                 "usr/lib/udev/rules.d/70-teleop-studio.rules", "usr/share/doc/teleop-studio/copyright"):
        assert path in installed, path
    link = root / "usr" / "bin" / "teleop-studio"
    assert link.is_symlink() and link.resolve() == (root / "opt" / "teleop-studio" / "teleop-studio")
    assert stat.S_IMODE((root / "opt" / "teleop-studio" / "teleop-studio").stat().st_mode) == 0o755
    assert subprocess.run([str(link)], capture_output=True, text=True).stdout.strip() == "stand-in"

    # user data somewhere under the root survives; everything the package brought goes away
    (root / "home" / "lab" / "datasets").mkdir(parents=True)
    (root / "opt" / "teleop-studio" / "_internal" / "__pycache__").mkdir()  # made at run time
    subprocess.run(dpkg + ["--purge", "teleop-studio"], check=True, capture_output=True, env=env, timeout=120)
    left = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and "var/lib/dpkg" not in p.as_posix())
    assert left == [], left
    assert not (root / "opt" / "teleop-studio").exists() and (root / "home" / "lab" / "datasets").is_dir()
