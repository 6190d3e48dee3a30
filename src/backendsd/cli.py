"""The ``backendsd`` command: ``serve`` runs the daemon, ``token`` manages API tokens,
``certs`` creates the CA and issues client certificates offline, and
``manager-sim`` runs simulated managers against a daemon.

The flags of ``serve``, ``--data-dir`` and the client certificate options of
``certs issue`` can also come from an environment variable ``BACKENDSD_<FLAG>``,
such as ``BACKENDSD_DATA_DIR`` for ``--data-dir``. A flag on the command line
wins. An environment value must pass the same checks as the flag.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from backendsd import __version__
from backendsd.auth.service import TokenService
from backendsd.auth.tokens import Role
from backendsd.clock import datetime_from_us
from backendsd.config import ListenAddress, ServeConfig
from backendsd.errors import BackendsdError, StartupError
from backendsd.log import LOG_FORMATS, LOG_LEVELS, configure_logging
from backendsd.pki.crl import CRL_VALIDITY
from backendsd.pki.keys import KeyType
from backendsd.store.database import Database
from backendsd.store.tokens import SqliteTokenStore

ENV_PREFIX = "BACKENDSD_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})

T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    # Everything backendsd writes (database, WAL, keys, tokens) is for its
    # owner only; the few public files (CA and server certificates) are
    # made readable explicitly.
    os.umask(0o077)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except BackendsdError as error:
        print(f"backendsd: {error.message}", file=sys.stderr)
        return 1
    except OSError as error:
        # A file or directory that cannot be read or created, such as a data
        # directory without permission. Other OSErrors are not expected here.
        if error.filename is None:
            raise
        print(f"backendsd: cannot use {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backendsd",
        description="Control plane for confidential-computing backends.",
        epilog=f"The flags of serve, --data-dir, and --client-cert-ttl and --client-key-type of certs issue "
        f"also read the environment variable {ENV_PREFIX}<FLAG>, for example BACKENDSD_DATA_DIR for --data-dir. "
        "A flag on the command line wins.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_serve_command(commands)
    _add_token_commands(commands)
    _add_certs_commands(commands)
    _add_manager_sim_command(commands)
    return parser


class EnvironmentValue(str):
    """A flag's default taken from the environment, which remembers its variable for error messages."""

    variable: str


def _env(flag: str, default: Any) -> Any:
    """Return the environment fallback for ``--flag``, or ``default``.

    argparse passes a string default through the flag's ``type`` only when
    the flag is not on the command line. So an environment value is checked
    by the same rules as the flag, and only for the subcommand that runs.
    """
    variable = ENV_PREFIX + flag.upper().replace("-", "_")
    if variable not in os.environ:
        return default
    value = EnvironmentValue(os.environ[variable])
    value.variable = variable
    return value


def _env_list(flag: str) -> list[str]:
    return [item.strip() for item in str(_env(flag, "")).split(",") if item.strip()]


def _naming_environment(parse: Callable[[str], T]) -> Callable[[str], T]:
    """Wrap an argparse ``type`` so that errors about an environment value name the variable."""

    def parse_text(text: str) -> T:
        try:
            return parse(str(text))
        except (argparse.ArgumentTypeError, ValueError) as error:
            if not isinstance(text, EnvironmentValue):
                raise
            message = f"{text.variable}={str(text)!r} from the environment: {error}"
            raise argparse.ArgumentTypeError(message) from error

    # argparse names the type in its message for a ValueError.
    parse_text.__name__ = getattr(parse, "__name__", "value")
    return parse_text


def _choice_of(choices: Sequence[str]) -> Callable[[str], str]:
    """Return an argparse ``type`` that accepts one of ``choices``, because argparse checks no choices on defaults."""

    def parse(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(f"invalid choice {text!r}; use one of {', '.join(choices)}")
        return text

    return _naming_environment(parse)


@_naming_environment
def _switch_value(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise argparse.ArgumentTypeError(
        f"invalid on/off value {text!r}; use 1, true, yes or on to turn it on, "
        "and 0, false, no, off or an empty value to turn it off"
    )


class _Switch(argparse.Action):
    """An on/off flag like ``store_true`` whose string default (from the environment) goes through ``type``."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option_string: str | None = None
    ) -> None:
        setattr(namespace, self.dest, True)


@_naming_environment
def _listen_address(text: str) -> ListenAddress:
    try:
        return ListenAddress.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


@_naming_environment
def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}: must be 0 or more")
    return value


@_naming_environment
def _positive_days(text: str) -> datetime.timedelta:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of days {text!r}: expected a whole number") from None
    if days < 1:
        raise argparse.ArgumentTypeError(f"invalid number of days {text!r}: must be 1 or more")
    return datetime.timedelta(days=days)


def _key_type(text: str) -> KeyType:
    return KeyType(_choice_of([key_type.value for key_type in KeyType])(text))


def _add_client_cert_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client-cert-ttl",
        type=_positive_days,
        default=_env("client-cert-ttl", "90"),
        metavar="DAYS",
        help="validity of client certificates when a request gives no ttl, in days; "
        "cut to the CA's expiry (default: %(default)s)",
    )
    parser.add_argument(
        "--client-key-type",
        type=_key_type,
        choices=list(KeyType),
        default=_env("client-key-type", KeyType.ECDSA_P256.value),
        metavar="{" + ",".join(key_type.value for key_type in KeyType) + "}",
        help="algorithm of the client key pairs that the daemon generates (default: %(default)s)",
    )


@_naming_environment
def _positive_count(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}: must be a whole number above 0")
    return int(text)


@_naming_environment
def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"invalid number {text!r}: must be a whole number, 0 or more")
    return int(text)


@_naming_environment
def _strictly_positive_seconds(text: str) -> float:
    value = _positive_seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}: must be more than 0")
    return value


def _crl_refresh_seconds(text: str) -> float:
    value = _strictly_positive_seconds(text)
    limit = CRL_VALIDITY.total_seconds()
    if value >= limit:
        raise argparse.ArgumentTypeError(
            f"invalid number of seconds {text!r}: must be less than the CRL's validity of {limit:g} s (7 days)"
        )
    return value


def _messages_per_second(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid rate {text!r}: expected messages per second") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid rate {text!r}: must be 0 or more")
    return value


def _integer_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid whole number {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"invalid number {text!r}: must be {minimum} or more")
        return value

    return parse


def _port(text: str) -> int:
    value = _integer_at_least(1)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: must be from 1 to 65535")
    return value


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=_env("data-dir", "data"),
        help="directory of the database, PKI files and admin token (default: %(default)s)",
    )


def _add_serve_command(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the daemon", description="Run the backendsd daemon.")
    _add_data_dir(serve)
    serve.add_argument(
        "--api-addr",
        type=_listen_address,
        default=_env("api-addr", "127.0.0.1:7000"),
        help="host:port of the gRPC management API; port 0 picks a free port (default: %(default)s)",
    )
    serve.add_argument(
        "--http-addr",
        type=_listen_address,
        default=_env("http-addr", "127.0.0.1:9000"),
        help="host:port of the HTTP/JSON API; port 0 picks a free port (default: %(default)s)",
    )
    serve.add_argument(
        "--api-insecure",
        action=_Switch,
        type=_switch_value,
        default=_env("api-insecure", False),
        help="serve the gRPC and HTTP management APIs without TLS "
        "(a warning is logged unless the address is loopback)",
    )
    serve.add_argument(
        "--server-san",
        action="append",
        default=_env_list("server-san"),
        metavar="NAME",
        help="extra DNS name or IP address for the server certificate; repeatable "
        "(environment: comma-separated). localhost, 127.0.0.1, ::1 and the host name are always included",
    )
    _add_logging_flags(serve)
    serve.add_argument(
        "--shutdown-grace",
        type=_positive_seconds,
        default=_env("shutdown-grace", "10"),
        metavar="SECONDS",
        help="seconds that running RPCs get to finish after SIGTERM or SIGINT (default: %(default)s)",
    )
    serve.add_argument(
        "--loop-lag-report",
        type=_positive_seconds,
        default=_env("loop-lag-report", "0"),
        metavar="SECONDS",
        help="log event-loop lag percentiles (loop_lag) every SECONDS, for benchmarks; 0 turns it off "
        "(default: %(default)s)",
    )
    serve.add_argument(
        "--crl-refresh-interval",
        type=_crl_refresh_seconds,
        default=_env("crl-refresh-interval", "86400"),
        metavar="SECONDS",
        help="seconds between two re-signings of the CRL (data-dir/pki/crl.pem), which is valid for 7 days "
        "(default: %(default)s)",
    )
    _add_client_cert_options(serve)
    _add_manager_stream_flags(serve)
    serve.set_defaults(handler=_run_serve)


def _add_manager_stream_flags(serve: argparse.ArgumentParser) -> None:
    group = serve.add_argument_group("manager stream")
    group.add_argument(
        "--manager-addr",
        type=_listen_address,
        default=_env("manager-addr", "0.0.0.0:7001"),
        help="host:port that managers dial, with mutual TLS (default: %(default)s)",
    )
    group.add_argument(
        "--verify-peer-address",
        action=_Switch,
        type=_switch_value,
        default=_env("verify-peer-address", False),
        help="refuse a manager whose IP address differs from its backend's address, when that is an IP address",
    )
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
            type=_positive_seconds if flag == "probe-interval" else _strictly_positive_seconds,
            default=_env(flag, default),
            metavar="SECONDS",
            help=f"{description} (default: %(default)s)",
        )
    group.add_argument(
        "--max-message-size",
        type=_positive_count,
        default=_env("max-message-size", str(4 * 1024 * 1024)),
        metavar="BYTES",
        help="largest message a manager may send, in bytes (default: %(default)s)",
    )
    group.add_argument(
        "--request-timeout",
        type=_strictly_positive_seconds,
        default=_env("request-timeout", "30"),
        metavar="SECONDS",
        help="seconds to wait for a manager's response when the call sets no timeout or deadline (default: %(default)s)",
    )
    group.add_argument(
        "--max-run-request-size",
        type=_positive_count,
        default=_env("max-run-request-size", str(16 * 1024 * 1024)),
        metavar="BYTES",
        help="largest serialized run request RunComputation accepts, in bytes (default: %(default)s)",
    )
    group.add_argument(
        "--ingest-flush-ms",
        type=_positive_count,
        default=_env("ingest-flush-ms", "100"),
        metavar="MILLISECONDS",
        help="how long agent logs and events may wait in memory before they are written; a crash loses "
        "at most this much (default: %(default)s)",
    )
    group.add_argument(
        "--retain-logs",
        type=_positive_count,
        default=_env("retain-logs", "100000"),
        metavar="ROWS",
        help="agent logs, and separately events, kept per backend (default: %(default)s)",
    )
    group.add_argument(
        "--retain-days",
        type=_positive_count,
        default=_env("retain-days", "30"),
        metavar="DAYS",
        help="days after which agent logs and events are deleted (default: %(default)s)",
    )
    group.add_argument(
        "--retention-interval",
        type=_strictly_positive_seconds,
        default=_env("retention-interval", "60"),
        metavar="SECONDS",
        help="seconds between two passes that delete agent logs and events past retention (default: %(default)s)",
    )
    group.add_argument(
        "--max-sessions",
        type=_positive_count,
        default=_env("max-sessions", "20000"),
        metavar="COUNT",
        help="live manager sessions; another backend's session beyond this is rejected with "
        "RESOURCE_EXHAUSTED (default: %(default)s)",
    )
    group.add_argument(
        "--max-concurrent-admissions",
        type=_positive_count,
        default=_env("max-concurrent-admissions", "128"),
        metavar="COUNT",
        help="manager sessions whose certificate is checked at the same time; more are rejected with "
        "RESOURCE_EXHAUSTED (default: %(default)s)",
    )
    group.add_argument(
        "--max-auth-failures",
        type=_count,
        default=_env("max-auth-failures", "20"),
        metavar="COUNT",
        help="failed token checks per peer address within a minute before its calls are rejected "
        "with RESOURCE_EXHAUSTED until the minute ends; 0 turns this off (default: %(default)s)",
    )
    group.add_argument(
        "--watch-buffer",
        type=_positive_count,
        default=_env("watch-buffer", "1024"),
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


def _add_logging_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level",
        type=_choice_of(LOG_LEVELS),
        choices=LOG_LEVELS,
        default=_env("log-level", "info"),
        help="lowest level logged (default: %(default)s)",
    )
    parser.add_argument(
        "--log-format",
        type=_choice_of(LOG_FORMATS),
        choices=LOG_FORMATS,
        default=_env("log-format", "json"),
        help="json: one JSON object per line; console: for people (default: %(default)s)",
    )


def _add_token_commands(commands: Any) -> None:
    token = commands.add_parser(
        "token",
        help="manage API tokens",
        description="Manage the bearer tokens of the management API, whether the daemon runs or not.",
    )
    actions = token.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create a token and print it once on standard output")
    _add_data_dir(create)
    create.add_argument("--name", required=True, help="unique name of the token, for listing and revoking")
    create.add_argument(
        "--role",
        choices=[role.value for role in Role],
        default=Role.VIEWER.value,
        help="admin: every call; viewer: read-only calls (default: %(default)s)",
    )
    create.add_argument(
        "--init",
        action="store_true",
        help="create the database in --data-dir if it is missing, for bootstrap scripts "
        "(without it, a missing database is an error)",
    )
    create.set_defaults(handler=_with_token_service(_create_token))

    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    _add_data_dir(listing)
    listing.set_defaults(handler=_with_token_service(_list_tokens))

    revoke = actions.add_parser("revoke", help="revoke the active token with this name")
    _add_data_dir(revoke)
    revoke.add_argument("name", help="name of the token")
    revoke.set_defaults(handler=_with_token_service(_revoke_token))


TokenAction = Callable[[TokenService, argparse.Namespace], Any]


def _with_token_service(action: TokenAction) -> Callable[[argparse.Namespace], int]:
    """Run ``action`` against the database in ``--data-dir``; it may run beside the daemon."""

    def handler(args: argparse.Namespace) -> int:
        configure_logging("warning")
        database_path = ServeConfig(data_dir=args.data_dir).database_path
        if not database_path.exists() and not getattr(args, "init", False):
            raise StartupError(_missing_database_message(args))

        async def run() -> None:
            database = await Database.open(database_path)
            try:
                await action(TokenService(store=SqliteTokenStore(database)), args)
            finally:
                await database.close()

        asyncio.run(run())
        return 0

    return handler


def _missing_database_message(args: argparse.Namespace) -> str:
    """Return the error for a token command whose --data-dir contains no database, likely a mistyped path."""
    database_path = ServeConfig(data_dir=args.data_dir).database_path
    message = (
        f"no database at {database_path.resolve()}. Check --data-dir, "
        f"or run 'backendsd serve --data-dir {args.data_dir}' once to create the database"
    )
    if args.action == "create":
        message += " (or pass --init to create it here without the daemon)"
    return message


async def _create_token(tokens: TokenService, args: argparse.Namespace) -> None:
    issued = await tokens.create(name=args.name, role=Role(args.role))
    print(issued.secret)


async def _list_tokens(tokens: TokenService, args: argparse.Namespace) -> None:
    print(f"{'NAME':<24} {'ROLE':<7} {'CREATED':<20} REVOKED")
    for token in await tokens.list():
        created = datetime_from_us(token.created_at).strftime("%Y-%m-%dT%H:%M:%SZ")
        revoked = datetime_from_us(token.revoked_at).strftime("%Y-%m-%dT%H:%M:%SZ") if token.revoked_at else "-"
        print(f"{token.name:<24} {token.role.value:<7} {created:<20} {revoked}")


async def _revoke_token(tokens: TokenService, args: argparse.Namespace) -> None:
    token = await tokens.revoke(args.name)
    print(f"revoked token {token.name!r} ({token.role.value})", file=sys.stderr)


def _add_certs_commands(commands: Any) -> None:
    certs = commands.add_parser(
        "certs",
        help="manage the CA and client certificates",
        description="Create the certificate authority and issue client certificates, whether the daemon runs or not.",
    )
    actions = certs.add_subparsers(dest="action", required=True, metavar="ACTION")

    init = actions.add_parser("init", help="create the CA if it is missing and print the paths of its files")
    _add_data_dir(init)
    init.set_defaults(handler=_init_certificate_authority)

    issue = actions.add_parser(
        "issue",
        help="issue a client certificate for a backend into a directory",
        description="Issue a client certificate with a new key pair and write ca.pem, cert.pem and "
        "key.pem (mode 0600) into --out.",
    )
    _add_data_dir(issue)
    issue.add_argument("--backend", required=True, metavar="ID", help="UUID of the backend")
    issue.add_argument("--out", required=True, type=Path, metavar="DIR", help="directory to write the PEM files to")
    issue.add_argument(
        "--ip", action="append", default=[], metavar="ADDR", help="IP address subject alternative name; repeatable"
    )
    issue.add_argument(
        "--dns", action="append", default=[], metavar="NAME", help="DNS name subject alternative name; repeatable"
    )
    _add_client_cert_options(issue)
    issue.set_defaults(handler=_issue_certificate)


def _init_certificate_authority(args: argparse.Namespace) -> int:
    from backendsd.certs.offline import init_authority  # cryptography is imported only where needed

    configure_logging("warning")
    for path in init_authority(ServeConfig(data_dir=args.data_dir).pki_dir):
        print(path)
    return 0


def _issue_certificate(args: argparse.Namespace) -> int:
    from backendsd.certs.offline import issue_to_directory

    configure_logging("warning")
    config = ServeConfig(
        data_dir=args.data_dir, client_cert_ttl=args.client_cert_ttl, client_key_type=args.client_key_type
    )
    bundle, paths = asyncio.run(
        issue_to_directory(config, backend_id=args.backend, ip_addresses=args.ip, dns_names=args.dns, out=args.out)
    )
    for path in paths:
        print(path)
    print(f"issued certificate {bundle.record.serial_number} for backend {bundle.record.backend_id}", file=sys.stderr)
    return 0
def _server_address(text: str) -> Any:
    from backendsd.simulator.config import ServerAddress

    try:
        return ServerAddress.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _optional_path(flag: str, manager_variable: str) -> Path | None:
    """Return the default of a file flag: ``BACKENDSD_<FLAG>``, else the real manager's variable, else None."""
    value = _env(flag, os.environ.get(manager_variable, ""))
    return Path(value) if value else None


def _add_manager_sim_command(commands: Any) -> None:
    sim = commands.add_parser(
        "manager-sim",
        help="run simulated managers against a daemon",
        description="Dial the daemon's manager stream like a real manager and respond to its requests. "
        "Every flag falls back to BACKENDSD_<FLAG>. --url, --ca, --cert and --key then fall back to the "
        "real manager's variable named in their help.",
    )
    _add_manager_sim_connection_flags(sim)
    _add_manager_sim_behavior_flags(sim)
    sim.add_argument(
        "--report",
        type=Path,
        default=_env("report", None),
        metavar="FILE",
        help="append one JSON line per notable event to FILE, flushed at once (default: no report)",
    )
    _add_logging_flags(sim)
    sim.set_defaults(handler=_run_manager_sim)


def _add_manager_sim_connection_flags(sim: argparse.ArgumentParser) -> None:
    sim.add_argument(
        "--url",
        type=_server_address,
        default=_env("url", os.environ.get("MANAGER_GRPC_URL", "localhost:7001")),
        metavar="HOST:PORT",
        help="address of the daemon's manager stream; falls back to MANAGER_GRPC_URL (default: %(default)s)",
    )
    sim.add_argument(
        "--ca",
        type=Path,
        default=_optional_path("ca", "MANAGER_GRPC_SERVER_CA_CERTS"),
        metavar="FILE",
        help="CA certificates that the daemon's certificate must chain to; "
        "falls back to MANAGER_GRPC_SERVER_CA_CERTS",
    )
    sim.add_argument(
        "--cert",
        type=Path,
        default=_optional_path("cert", "MANAGER_GRPC_CLIENT_CERT"),
        metavar="FILE",
        help="client certificate for mutual TLS; falls back to MANAGER_GRPC_CLIENT_CERT. "
        "Without --ca, --cert and --key the simulator dials in plaintext",
    )
    sim.add_argument(
        "--key",
        type=Path,
        default=_optional_path("key", "MANAGER_GRPC_CLIENT_KEY"),
        metavar="FILE",
        help="private key of --cert; falls back to MANAGER_GRPC_CLIENT_KEY",
    )
    sim.add_argument(
        "--server-name",
        default=_env("server-name", None),
        metavar="NAME",
        help="name to check in the daemon's certificate (default: the host of --url)",
    )
    sim.add_argument(
        "--identities-dir",
        type=Path,
        default=_env("identities-dir", None),
        metavar="DIR",
        help="open one session per subdirectory of DIR, each with cert.pem, key.pem and optionally "
        "ca.pem (else --ca); --cert and --key are then ignored",
    )
    sim.add_argument(
        "--count",
        type=_integer_at_least(1),
        default=_env("count", None),
        metavar="N",
        help="take at most N identities from --identities-dir, in name order (default: all)",
    )
    sim.add_argument(
        "--reconnect",
        action=_Switch,
        type=_switch_value,
        default=_env("reconnect", False),
        help="dial again after a stream ends for any reason except Terminate, with backoff "
        "from 0.1 s doubling to 5 s, ±50%% jitter (default: exit when the sessions end)",
    )
    sim.add_argument(
        "--connect-timeout",
        type=_strictly_positive_seconds,
        default=_env("connect-timeout", "10"),
        metavar="SECONDS",
        help="seconds that one dial may take before it fails (default: %(default)s)",
    )
    sim.add_argument(
        "--keepalive",
        type=_strictly_positive_seconds,
        default=_env("keepalive", None),
        metavar="SECONDS",
        help="send an HTTP/2 keepalive ping every SECONDS " "(default: no pings, as real managers send none)",
    )


def _add_manager_sim_behavior_flags(sim: argparse.ArgumentParser) -> None:
    sim.add_argument(
        "--send-logs",
        type=_integer_at_least(0),
        default=_env("send-logs", "0"),
        metavar="N",
        help="send N AgentLog messages right after connecting (default: %(default)s)",
    )
    sim.add_argument(
        "--send-events",
        type=_integer_at_least(0),
        default=_env("send-events", "0"),
        metavar="N",
        help="send N AgentEvent messages right after connecting, after the logs (default: %(default)s)",
    )
    sim.add_argument(
        "--send-rate",
        type=_messages_per_second,
        default=_env("send-rate", "0"),
        metavar="R",
        help="agent logs and events per second; 0 sends them as fast as possible (default: %(default)s)",
    )
    sim.add_argument(
        "--computation-id",
        default=_env("computation-id", "sim-computation"),
        metavar="ID",
        help="computation id of the agent logs and events (default: %(default)s)",
    )
    sim.add_argument(
        "--silent",
        action=_Switch,
        type=_switch_value,
        default=_env("silent", False),
        help="send no response to any request, so that the manager looks wedged while its connection is fine",
    )
    sim.add_argument(
        "--answer-delay",
        type=_positive_seconds,
        default=_env("answer-delay", "0"),
        metavar="SECONDS",
        help="seconds to wait before responding to each request (default: %(default)s)",
    )
    sim.add_argument(
        "--stop-error",
        default=_env("stop-error", ""),
        metavar="MESSAGE",
        help="respond to StopComputation with this error message (default: empty, the stop succeeds)",
    )
    sim.add_argument(
        "--attestation-policy",
        type=Path,
        default=_env("attestation-policy", None),
        metavar="FILE",
        help="send the content of FILE as the attestation policy (default: a built-in JSON document)",
    )
    sim.add_argument(
        "--agent-port-base",
        type=_port,
        default=_env("agent-port-base", "7020"),
        metavar="PORT",
        help="agent port of the first run on a stream; the n-th run gets PORT+n (default: %(default)s)",
    )
    sim.add_argument(
        "--chunk-timeout",
        type=_strictly_positive_seconds,
        default=_env("chunk-timeout", "30"),
        metavar="SECONDS",
        help="drop a half-received run request after SECONDS without a chunk " "(default: %(default)s)",
    )


def _run_manager_sim(args: argparse.Namespace) -> int:
    # The simulator imports grpc, which the token commands do not need.
    from backendsd.simulator.behavior import DEFAULT_ATTESTATION_POLICY, Behavior
    from backendsd.simulator.config import SimulatorConfig
    from backendsd.simulator.errors import SimulatorSetupError, read_input_file
    from backendsd.simulator.runner import load_identities, run_simulator

    if args.count is not None and args.identities_dir is None:
        raise SimulatorSetupError("--count limits --identities-dir: set --identities-dir too")
    policy = DEFAULT_ATTESTATION_POLICY
    if args.attestation_policy is not None:
        policy = read_input_file(args.attestation_policy, "attestation policy file")

    behavior = Behavior(
        silent=args.silent,
        answer_delay=args.answer_delay,
        stop_error=args.stop_error,
        attestation_policy=policy,
        agent_port_base=args.agent_port_base,
        chunk_timeout=args.chunk_timeout,
        send_logs=args.send_logs,
        send_events=args.send_events,
        send_rate=args.send_rate,
        computation_id=args.computation_id,
    )
    config = SimulatorConfig(
        server=args.url,
        server_name=args.server_name,
        ca=args.ca,
        certificate=args.cert,
        private_key=args.key,
        identities_dir=args.identities_dir,
        count=args.count,
        reconnect=args.reconnect,
        connect_timeout=args.connect_timeout,
        keepalive=args.keepalive,
        report=args.report,
        behavior=behavior,
    )
    identities = load_identities(config)
    configure_logging(args.log_level, args.log_format)
    return asyncio.run(run_simulator(config, identities))
