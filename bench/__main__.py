"""`python -m bench` (or `make bench`): run every benchmark, print the scoreboard, write bench/results.json.

  python -m bench                  full settings (the 100 kill trials and the 1 h soak included: hours)
  python -m bench --quick          short settings, same set-ups (~15 min on 2 cores)
  python -m bench --only NAME      one bench (repeatable); its results replace that bench's in results.json
  python -m bench --import kill_trials=PATH   take a bench's figures from its own --json output
  python -m bench --list           the benches and what they measure
  python -m bench --table          print the table of the last results without running anything
  --update-readme                  also write the table into bench/README.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import scoreboard as sb  # noqa: E402


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil
        mem_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        mem_gb = None
    return {"cores": os.cpu_count(), "cpu": model, "memory_gib": mem_gb, "os": platform.platform(),
            "python": platform.python_version(), "load_average_at_start": round(os.getloadavg()[0], 1)}


def header(results: dict) -> str:
    m = results.get("machine", {})
    modes = sorted({b.get("mode", "") for b in results.get("benches", {}).values() if b.get("ran")})
    return (f"Updated {results.get('updated', '?')} on {m.get('cores')} cores ({m.get('cpu') or 'unknown CPU'}), "
            f"{m.get('memory_gib')} GiB RAM, {m.get('os')}, Python {m.get('python')}; load average "
            f"{m.get('load_average_at_start')} at start (the machine is shared with other jobs). "
            f"Settings: {', '.join(modes) or '-'} (see each bench's row mode).")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short settings suitable for a quick check")
    ap.add_argument("--only", action="append", choices=sb.bench_names(), metavar="NAME",
                    help=f"run only this bench (repeatable): {', '.join(sb.bench_names())}")
    ap.add_argument("--skip", action="append", default=[], choices=sb.bench_names(), metavar="NAME")
    ap.add_argument("--import", dest="imports", action="append", default=[], metavar="NAME=PATH",
                    help="take the figures of a --json bench (kill_trials, soak) from a file it wrote")
    ap.add_argument("--results", type=Path, default=sb.BENCH / "results.json")
    ap.add_argument("--update-readme", action="store_true", help="write the table into bench/README.md")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--table", action="store_true", help="only print the table of the saved results")
    args = ap.parse_args(argv)

    if args.list:
        for b in sb.BENCHES:
            print(f"{b.name:15s} " + "; ".join(f"{f.label} ({f.target})" for f in b.figures))
        return 0
    results = sb.load_results(args.results)
    benches = results.setdefault("benches", {})
    if not args.table:
        results["machine"] = machine()
        for spec in args.imports:
            name, _, path = spec.partition("=")
            b = next((x for x in sb.BENCHES if x.name == name and x.json), None)
            if b is None:
                ap.error(f"--import: {name} is not a bench with --json output")
            data = json.loads(Path(path).read_text())
            mode = (f"{data['trials']} trials" if "trials" in data else
                    f"{data['minutes']:g} min" if "minutes" in data else "imported")
            o = sb.Outcome(name, mode, True, 0,
                           data.get("seconds", 0.0), sb.parse(b, "", data), note=f"imported from {path}",
                           when=time.strftime("%Y-%m-%d %H:%M", time.localtime(Path(path).stat().st_mtime)))
            benches[name] = asdict(o)
        chosen = [b for b in sb.BENCHES if (not args.only or b.name in args.only) and b.name not in args.skip]
        if args.imports and not args.only:
            chosen = []  # importing alone does not run everything
        for b in chosen:
            o = sb.run_bench(b, args.quick, log=lambda s: print(s, flush=True))
            benches[b.name] = asdict(o)
            print(f"   ({o.seconds:.0f} s)\n", flush=True)
        results["updated"] = time.strftime("%Y-%m-%d %H:%M")
        args.results.write_text(json.dumps(results, indent=1))
    rs = sb.rows(benches)
    print(header(results))
    print(sb.table_text(rs))
    missed = [r for r in rs if r[4] == "MISS" or r[4].startswith("NO FIGURE")]
    print(f"\n{sum(r[4] == 'pass' for r in rs)} pass, {len(missed)} miss or no figure, "
          f"{sum(r[4] == 'info' for r in rs)} shown for information, "
          f"{sum(r[4].startswith('checked by') for r in rs)} checked by tests/opt-in commands; "
          f"results in {args.results}")
    if args.update_readme:
        sb.update_readme(sb.BENCH / "README.md", sb.table_markdown(rs), header(results))
        print("table written to bench/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
