"""The Markdown summary of a run's JSON results, pasted into docs/benchmarks.md after a full run."""

from __future__ import annotations

from typing import Any


def _spread(value: dict[str, float] | None, digits: int = 1, scale: float = 1.0) -> str:
    if not value or value.get("median") is None:
        return "n/a"
    return " / ".join(f"{value[key] * scale:,.{digits}f}" for key in ("min", "median", "max"))


def render(results: dict[str, Any]) -> str:
    lines = [
        f"Run `{results['command']}`, sizes `{results['sizes']}`, {results['started']}; "
        f"load average {results['load_start']} at start, {results['load_end']} at end; "
        f"{results['seconds']:.0f} s in all.",
        "",
        "Each figure: min / median / max over the repeated runs.",
        "",
        "| scenario | figure | measured | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    scenarios = results["scenarios"]
    for name, result in scenarios.items():
        if "error" in result:
            lines.append(f"| {name} | failed | {result['error'][:200]} | | | | no |")
            continue
        lines.extend(_ROWS[name](result))
    return "\n".join(lines) + "\n"


def _b1(result: dict[str, Any]) -> list[str]:
    rows = []
    for method, figure in result["methods"].items():
        rows.append(
            f"| B1 | {method} calls/s | {_spread(figure['calls_per_second'], 0)} | "
            f"{_spread(figure['baseline_calls_per_second'], 0)} | {_spread(figure['ratio'], 2)} | "
            f"≥ {figure['target_ratio']:.2f} | {'yes' if figure['met'] else 'no'} |"
        )
        rows.append(
            f"| B1 | {method} CPU, server / client (cores) | {_spread(figure['server_cpu_cores'], 2)} | "
            f"client {_spread(figure['client_cpu_cores'], 2)} | | | |"
        )
    return rows


def _b2(result: dict[str, Any]) -> list[str]:
    sizes = result["sizes"]
    met = result["met"]
    lag = result["loop_lag_p99_ms"]
    return [
        f"| B2 | sessions held of {sizes['sessions']:,}, connect time | "
        f"{result['sessions_held']:,} after {result['connect_seconds']:.1f} s | "
        f"bare server held {result['bare_streams_held']:,} | | 10,000 | |",
        f"| B2 | CPUs of the server / the simulators | {_cpus(sizes['server_cpus'])} / {_cpus(sizes['client_cpus'])} "
        "| | | | |",
        f"| B2 | RSS per session (KiB) | {_spread(result['rss_per_session_kib'])} | "
        f"bare {_spread(result['bare_rss_per_stream_kib'])} | {_ratio(result['ratio_rss_per_session_to_bare'])} | "
        f"≤ 40 | {_yes(met['memory'])} |",
        f"| B2 | idle CPU with sessions (cores) | {_spread(result['cpu_cores_with_sessions'], 3)} | "
        f"no sessions {_spread(result['idle_cpu_cores'], 3)}; bare {_spread(result['bare_cpu_cores'], 3)} | | "
        f"≤ 0.10 | {_yes(met['cpu'])} |",
        f"| B2 | client CPU (cores, all simulators) | {_spread(result['client_cpu_cores'], 2)} | | | | |",
        f"| B2 | event-loop lag p99 per {sizes['lag_report_seconds']:g} s report (ms) | {_spread(lag)} | "
        f"bare {_spread(result.get('bare_loop_lag_p99_ms'))} | | ≤ 20 | {_yes(met['lag'])} |",
        f"| B2 | event-loop lag, longest stall per report (ms) | {_spread(result.get('loop_lag_max_ms'))} | "
        f"bare {_spread(result.get('bare_loop_lag_max_ms'))} | | | |",
        f"| B2 | longest garbage collection per report (ms) | {_spread(result['gc_max_ms'])}, "
        f"{result['gc_full_collections']} full | bare {_spread(result.get('bare_gc_max_ms'))} | | | |",
        f"| B2 | false disconnects | {result['false_disconnects']} | | | 0 | {_yes(met['false_disconnects'])} |",
    ]


def _b3(result: dict[str, Any]) -> list[str]:
    rows = []
    for key, figure in result.items():
        if not isinstance(figure, dict) or "seconds" not in figure:
            continue
        label, signal_name = key.rsplit("_", 1)
        if signal_name == "SIGKILL":
            limit = 1.0
        elif label == "default":
            limit = 15.0
        else:
            limit = 5.0
        seconds = figure["seconds"]
        rows.append(
            f"| B3 | {signal_name}, {label} ({figure['keepalive_interval']:g} s + {figure['keepalive_timeout']:g} s), "
            f"{figure['detected']}/{figure['trials']} detected (s) | {_spread(seconds, 2)} | "
            f"{figure['baseline_seconds']:g} s | {_ratio(figure['ratio_max_to_baseline'])} (max) | ≤ {limit:g} s | "
            f"{_yes(seconds['max'] is not None and seconds['max'] <= limit and figure['detected'] == figure['trials'])} |"
        )
    return rows


def _b4(result: dict[str, Any]) -> list[str]:
    base = result["baseline_round_trip_ms"]
    rows = []
    for kind in ("terminate", "revoke"):
        figure = result[kind]
        rows.append(
            f"| B4 | {kind} to Terminate received, {figure['received']}/{figure['sent']} (ms p50 / p99 / max) | "
            f"{_num(figure['p50_ms'])} / {_num(figure['p99_ms'])} / {_num(figure['max_ms'])} | "
            f"no-op round trip p50 {_num(base['p50'])}, p99 {_num(base['p99'])} | "
            f"{_ratio(figure['ratio_p99_to_round_trip'])} (p99) | p99 ≤ 50 | {_yes(figure['met'])} |"
        )
    return rows


def _b5(result: dict[str, Any]) -> list[str]:
    return [
        f"| B5 | logs stored/s ({result['sizes']['total']:,} from {result['sizes']['managers']} managers) | "
        f"{_spread(result['stored_per_second'], 0)} | SQLite executemany {_spread(result['sqlite_executemany_per_second'], 0)} | "
        f"{_spread(result['fraction_of_sqlite_limit'], 3)} | ≥ 30,000 | {_yes(result['met'])} |",
        f"| B5 | the same logs received by a bare grpc.aio server (msgs/s) | "
        f"{_spread(result['grpc_received_per_second'], 0)} | | "
        f"daemon {_spread(result['fraction_of_grpc_limit'], 3)} | | |",
        f"| B5 | CPU, server / client (cores) | {_spread(result['server_cpu_cores'], 2)} | "
        f"client {_spread(result['client_cpu_cores'], 2)} | | | |",
    ]


def _b6(result: dict[str, Any]) -> list[str]:
    return [
        f"| B6 | all {result['sizes']['managers']:,} reconnected after restart (s) | "
        f"{_spread(result['reconnect_seconds'], 2)} | {result['baseline_handshakes_per_second']:,.0f} handshakes/s, "
        f"so {result['baseline_seconds_for_all']:.2f} s | {_spread(result['ratio_to_baseline'], 2)} | ≤ 30 s, none gives up "
        f"({result['simulators_exited']} exited) | {_yes(result['met'])} |",
        f"| B6 | CPU during the storm, server / client (cores) | {_spread(result['server_cpu_cores'], 2)} | "
        f"client {_spread(result['client_cpu_cores'], 2)} | | | |",
    ]


def _cpus(cpus: list[int] | None) -> str:
    return ", ".join(str(cpu) for cpu in cpus) if cpus else "all (not split)"


def _yes(value: bool | None) -> str:
    """Render a target check, where None means that the target does not apply at this run's size."""
    if value is None:
        return "n/a at this size"
    return "yes" if value else "no"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


_ROWS = {"B1": _b1, "B2": _b2, "B3": _b3, "B4": _b4, "B5": _b5, "B6": _b6}
