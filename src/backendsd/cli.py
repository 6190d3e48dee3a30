"""The ``backendsd`` command: ``serve`` runs the daemon, ``token`` manages API tokens,
``certs`` creates the CA and issues client certificates offline.

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
def _seconds_above_zero(text: str) -> float:
    value = _positive_seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}: must be above 0")
    return value


@_naming_environment
def _positive_bytes(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"invalid number of bytes {text!r}: must be a whole number above 0")
    return int(text)


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
        "--api-insecure",
        action=_Switch,
        type=_switch_value,
        default=_env("api-insecure", False),
        help="serve the management API without TLS (a warning is logged unless the address is loopback)",
    )
    serve.add_argument(
        "--server-san",
        action="append",
        default=_env_list("server-san"),
        metavar="NAME",
        help="extra DNS name or IP address for the server certificate; repeatable "
        "(environment: comma-separated). localhost, 127.0.0.1, ::1 and the host name are always included",
    )
    serve.add_argument(
        "--log-level",
        type=_choice_of(LOG_LEVELS),
        choices=LOG_LEVELS,
        default=_env("log-level", "info"),
        help="lowest level logged (default: %(default)s)",
    )
    serve.add_argument(
        "--log-format",
        type=_choice_of(LOG_FORMATS),
        choices=LOG_FORMATS,
        default=_env("log-format", "json"),
        help="json: one JSON object per line; console: for people (default: %(default)s)",
    )
    serve.add_argument(
        "--shutdown-grace",
        type=_positive_seconds,
        default=_env("shutdown-grace", "10"),
        metavar="SECONDS",
        help="seconds that running RPCs get to finish after SIGTERM or SIGINT (default: %(default)s)",
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
            type=_positive_seconds if flag == "probe-interval" else _seconds_above_zero,
            default=_env(flag, default),
            metavar="SECONDS",
            help=f"{description} (default: %(default)s)",
        )
    group.add_argument(
        "--max-message-size",
        type=_positive_bytes,
        default=_env("max-message-size", str(4 * 1024 * 1024)),
        metavar="BYTES",
        help="largest message a manager may send, in bytes (default: %(default)s)",
    )


def _run_serve(args: argparse.Namespace) -> int:
    from backendsd.daemon import serve  # grpc is imported only by commands that need it

    config = ServeConfig(
        data_dir=args.data_dir,
        api_addr=args.api_addr,
        api_insecure=args.api_insecure,
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
    )
    configure_logging(config.log_level, config.log_format)
    asyncio.run(serve(config))
    return 0


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
