"""The ``serve`` command: its flags, and the daemon it runs."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from backendsd.cli.flags import (
    Switch,
    add_client_cert_options,
    add_data_dir,
    add_logging_flags,
    crl_refresh_seconds,
    env,
    env_list,
    listen_address,
    non_negative_count,
    positive_count,
    positive_seconds,
    strictly_positive_seconds,
    switch_value,
)
from backendsd.config import ServeConfig
from backendsd.log import configure_logging


def add_serve_command(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the daemon", description="Run the backendsd daemon.")
    add_data_dir(serve)

    # Listeners.
    serve.add_argument(
        "--api-addr",
        type=listen_address,
        default=env("api-addr", "127.0.0.1:7000"),
        help="host:port of the gRPC management API; port 0 picks a free port (default: %(default)s)",
    )
    serve.add_argument(
        "--http-addr",
        type=listen_address,
        default=env("http-addr", "127.0.0.1:9000"),
        help="host:port of the HTTP/JSON API; port 0 picks a free port (default: %(default)s)",
    )
    serve.add_argument(
        "--api-insecure",
        action=Switch,
        type=switch_value,
        default=env("api-insecure", False),
        help="serve the gRPC and HTTP management APIs without TLS "
        "(a warning is logged unless the address is loopback)",
    )
    serve.add_argument(
        "--server-san",
        action="append",
        default=env_list("server-san"),
        metavar="NAME",
        help="extra DNS name or IP address for the server certificate; repeatable "
        "(environment: comma-separated). localhost, 127.0.0.1, ::1 and the host name are always included",
    )

    # Logs and lifetime.
    add_logging_flags(serve)
    serve.add_argument(
        "--shutdown-grace",
        type=positive_seconds,
        default=env("shutdown-grace", "10"),
        metavar="SECONDS",
        help="seconds that running RPCs get to finish after SIGTERM or SIGINT (default: %(default)s)",
    )
    serve.add_argument(
        "--loop-lag-report",
        type=positive_seconds,
        default=env("loop-lag-report", "0"),
        metavar="SECONDS",
        help="log event-loop lag percentiles (loop_lag) every SECONDS, for benchmarks; 0 turns it off "
        "(default: %(default)s)",
    )

    # The certificate authority.
    serve.add_argument(
        "--crl-refresh-interval",
        type=crl_refresh_seconds,
        default=env("crl-refresh-interval", "86400"),
        metavar="SECONDS",
        help="seconds between two re-signings of the CRL (data-dir/pki/crl.pem), which is valid for 7 days "
        "(default: %(default)s)",
    )
    add_client_cert_options(serve)

    _add_manager_stream_flags(serve)
    serve.set_defaults(handler=_run_serve)


def _add_manager_stream_flags(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group("manager stream")

    # Listener and admission.
    group.add_argument(
        "--manager-addr",
        type=listen_address,
        default=env("manager-addr", "0.0.0.0:7001"),
        help="host:port that managers dial, with mutual TLS (default: %(default)s)",
    )
    group.add_argument(
        "--verify-peer-address",
        action=Switch,
        type=switch_value,
        default=env("verify-peer-address", False),
        help="refuse a manager whose IP address differs from its backend's address, when that is an IP address",
    )

    # Timers.
    seconds = (
        ("keepalive-interval", "10", "seconds between HTTP/2 keepalive pings to each manager"),
        ("keepalive-timeout", "5", "seconds a manager has to acknowledge a ping before it counts as disconnected"),
        ("probe-interval", "30", "seconds between application-level health probes (SVMInfoReq); 0 turns them off"),
        ("probe-timeout", "10", "seconds a probe may go unanswered before the backend counts as unresponsive"),
        ("manager-write-timeout", "15", "seconds a write may wait for a manager to read before its session is closed"),
    )
    for flag, default, description in seconds:
        group.add_argument(
            f"--{flag}",
            type=positive_seconds if flag == "probe-interval" else strictly_positive_seconds,
            default=env(flag, default),
            metavar="SECONDS",
            help=f"{description} (default: %(default)s)",
        )

    # Sizes, requests and agent records.
    group.add_argument(
        "--max-message-size",
        type=positive_count,
        default=env("max-message-size", str(4 * 1024 * 1024)),
        metavar="BYTES",
        help="largest message a manager may send, in bytes (default: %(default)s)",
    )
    group.add_argument(
        "--request-timeout",
        type=strictly_positive_seconds,
        default=env("request-timeout", "30"),
        metavar="SECONDS",
        help="seconds to wait for a manager's response when the call sets no timeout or deadline (default: %(default)s)",
    )
    group.add_argument(
        "--max-run-request-size",
        type=positive_count,
        default=env("max-run-request-size", str(16 * 1024 * 1024)),
        metavar="BYTES",
        help="largest serialized run request RunComputation accepts, in bytes (default: %(default)s)",
    )
    group.add_argument(
        "--ingest-flush-ms",
        type=positive_count,
        default=env("ingest-flush-ms", "100"),
        metavar="MILLISECONDS",
        help="how long agent logs and events may wait in memory before they are written; a crash loses "
        "at most this much (default: %(default)s)",
    )
    group.add_argument(
        "--retain-logs",
        type=positive_count,
        default=env("retain-logs", "100000"),
        metavar="ROWS",
        help="agent logs, and separately events, kept per backend (default: %(default)s)",
    )
    group.add_argument(
        "--retain-days",
        type=positive_count,
        default=env("retain-days", "30"),
        metavar="DAYS",
        help="days after which agent logs and events are deleted (default: %(default)s)",
    )
    group.add_argument(
        "--retention-interval",
        type=strictly_positive_seconds,
        default=env("retention-interval", "60"),
        metavar="SECONDS",
        help="seconds between two passes that delete agent logs and events past retention (default: %(default)s)",
    )

    # Limits that protect the daemon.
    group.add_argument(
        "--max-sessions",
        type=positive_count,
        default=env("max-sessions", "20000"),
        metavar="COUNT",
        help="live manager sessions; another backend's session beyond this is rejected with "
        "RESOURCE_EXHAUSTED (default: %(default)s)",
    )
    group.add_argument(
        "--max-concurrent-admissions",
        type=positive_count,
        default=env("max-concurrent-admissions", "128"),
        metavar="COUNT",
        help="manager sessions whose certificate is checked at the same time; more are rejected with "
        "RESOURCE_EXHAUSTED (default: %(default)s)",
    )
    group.add_argument(
        "--max-auth-failures",
        type=non_negative_count,
        default=env("max-auth-failures", "20"),
        metavar="COUNT",
        help="failed token checks per peer address within a minute before its calls are rejected "
        "with RESOURCE_EXHAUSTED until the minute ends; 0 turns this off (default: %(default)s)",
    )
    group.add_argument(
        "--watch-buffer",
        type=positive_count,
        default=env("watch-buffer", "1024"),
        metavar="EVENTS",
        help="events a WatchBackends caller may fall behind before its watch ends (default: %(default)s)",
    )


def _run_serve(args: argparse.Namespace) -> int:
    from backendsd.daemon import serve  # grpc is imported only by commands that need it

    config = ServeConfig(
        data_dir=args.data_dir,
        api_addr=args.api_addr,
        api_insecure=args.api_insecure,
        http_addr=args.http_addr,
        server_sans=tuple(args.server_san),
        log_level=args.log_level,
        log_format=args.log_format,
        shutdown_grace=args.shutdown_grace,
        client_cert_ttl=args.client_cert_ttl,
        client_key_type=args.client_key_type,
        manager_addr=args.manager_addr,
        verify_peer_address=args.verify_peer_address,
        keepalive_interval=args.keepalive_interval,
        keepalive_timeout=args.keepalive_timeout,
        probe_interval=args.probe_interval,
        probe_timeout=args.probe_timeout,
        max_message_size=args.max_message_size,
        manager_write_timeout=args.manager_write_timeout,
        watch_buffer=args.watch_buffer,
        max_sessions=args.max_sessions,
        max_concurrent_admissions=args.max_concurrent_admissions,
        max_auth_failures=args.max_auth_failures,
        request_timeout=args.request_timeout,
        max_run_request_size=args.max_run_request_size,
        ingest_flush_ms=args.ingest_flush_ms,
        retain_logs=args.retain_logs,
        retain_days=args.retain_days,
        retention_interval=args.retention_interval,
        loop_lag_report=args.loop_lag_report,
        crl_refresh_interval=args.crl_refresh_interval,
    )
    configure_logging(config.log_level, config.log_format)
    asyncio.run(serve(config))
    return 0
