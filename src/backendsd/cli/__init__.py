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
import os
import sys
from collections.abc import Sequence

from backendsd import __version__
from backendsd.cli.certs import add_certs_commands
from backendsd.cli.flags import ENV_PREFIX
from backendsd.cli.manager_sim import add_manager_sim_command
from backendsd.cli.serve import add_serve_command
from backendsd.cli.tokens import add_token_commands
from backendsd.errors import BackendsdError


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

    add_serve_command(commands)
    add_token_commands(commands)
    add_certs_commands(commands)
    add_manager_sim_command(commands)
    return parser
