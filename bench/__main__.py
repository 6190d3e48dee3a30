"""Run the benchmarks: ``python -m bench --sizes full|smoke [--only B1,B5] [--out DIR]``.

Writes ``results.json`` and ``results.md`` to ``--out``; the Markdown table is
what docs/benchmarks.md records. Child processes are stopped by PID when a
scenario ends or fails.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import platform
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from backendsd.log import configure_logging
from bench.context import SIZES, Context
from bench.procs import load_average
from bench.report import render
from bench.scenario_ingest import run_b5
from bench.scenarios_api import run_b1, run_b4
from bench.scenarios_sessions import run_b2, run_b3, run_b6

SCENARIOS: dict[str, Callable[[Context], dict[str, Any]]] = {
    "B1": run_b1, "B2": run_b2, "B3": run_b3, "B4": run_b4, "B5": run_b5, "B6": run_b6,
}


def _machine() -> dict[str, Any]:
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        memory_kib = int(meminfo.readline().split()[1])
    return {
        "cores": len(__import__("os").sched_getaffinity(0)),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "sqlite": __import__("sqlite3").sqlite_version,
        "kernel": platform.release(),
    }


def _write_results(out: Path, results: dict[str, Any], started: float) -> None:
    results["load_end"] = [round(value, 2) for value in load_average()]
    results["seconds"] = time.monotonic() - started
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(render(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", choices=sorted(SIZES), default="smoke", help="size set (default: smoke)")
    parser.add_argument("--only", default="", help="comma-separated scenarios to run, such as B1,B5 (default: all)")
    parser.add_argument("--out", type=Path, default=Path("build/bench"), help="directory for results and work files")
    parser.add_argument("--keep-work", action="store_true", help="keep the data directories and logs of the run")
    parser.add_argument(
        "--b2-sessions", type=int, metavar="N", help="manager sessions that B2 keeps open (default: from --sizes)"
    )
    args = parser.parse_args(argv)
    if args.b2_sessions is not None and args.b2_sessions < 1:
        parser.error(f"--b2-sessions must be at least 1, not {args.b2_sessions}")
    # Provisioning uses the daemon's modules, which log through structlog; only problems matter here.
    configure_logging("warning", "console")

    chosen = [name.strip().upper() for name in args.only.split(",") if name.strip()] or list(SCENARIOS)
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; use some of {', '.join(SCENARIOS)}")

    work_dir = args.out / "work"
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    sizes = SIZES[args.sizes]
    if args.b2_sessions is not None:
        sizes = dataclasses.replace(sizes, b2_sessions=args.b2_sessions)
    ctx = Context(sizes=sizes, work_dir=work_dir)
    started = time.monotonic()
    results: dict[str, Any] = {
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "sizes": args.sizes,
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": _machine(),
        "load_start": [round(value, 2) for value in load_average()],
        "scenarios": {},
    }
    failed = False
    for name in chosen:
        print(f"bench: {name} running", file=sys.stderr, flush=True)
        scenario_started = time.monotonic()
        try:
            results["scenarios"][name] = SCENARIOS[name](ctx)
        except Exception as error:  # noqa: BLE001 - one failed scenario is reported, and the others still run
            failed = True
            traceback.print_exc()
            results["scenarios"][name] = {"error": f"{type(error).__name__}: {error}"}
        finally:
            ctx.stop_all()
        results["scenarios"][name]["seconds"] = time.monotonic() - scenario_started
        print(f"bench: {name} done in {time.monotonic() - scenario_started:.0f} s", file=sys.stderr, flush=True)
        # Written after every scenario, so an interrupted run keeps what it measured.
        _write_results(args.out, results, started)

    _write_results(args.out, results, started)
    if not args.keep_work:
        shutil.rmtree(work_dir, ignore_errors=True)
    print(f"bench: results in {args.out / 'results.md'} and {args.out / 'results.json'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
