"""The ``token`` commands: create, list and revoke API tokens in the database, whether the daemon runs or not."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any

from backendsd.auth.service import TokenService
from backendsd.auth.tokens import Role
from backendsd.cli.flags import add_data_dir
from backendsd.clock import datetime_from_us
from backendsd.config import ServeConfig
from backendsd.errors import StartupError
from backendsd.log import configure_logging
from backendsd.store.database import Database
from backendsd.store.tokens import SqliteTokenStore


def add_token_commands(commands: Any) -> None:
    token = commands.add_parser(
        "token",
        help="manage API tokens",
        description="Manage the bearer tokens of the management API, whether the daemon runs or not.",
    )
    actions = token.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create a token and print it once on standard output")
    add_data_dir(create)
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
    add_data_dir(listing)
    listing.set_defaults(handler=_with_token_service(_list_tokens))

    revoke = actions.add_parser("revoke", help="revoke the active token with this name")
    add_data_dir(revoke)
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
