"""The ``certs`` commands: create the CA and issue client certificates offline."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from backendsd.cli.flags import add_client_cert_options, add_data_dir
from backendsd.config import ServeConfig
from backendsd.log import configure_logging


def add_certs_commands(commands: Any) -> None:
    certs = commands.add_parser(
        "certs",
        help="manage the CA and client certificates",
        description="Create the certificate authority and issue client certificates, whether the daemon runs or not.",
    )
    actions = certs.add_subparsers(dest="action", required=True, metavar="ACTION")

    init = actions.add_parser("init", help="create the CA if it is missing and print the paths of its files")
    add_data_dir(init)
    init.set_defaults(handler=_init_certificate_authority)

    issue = actions.add_parser(
        "issue",
        help="issue a client certificate for a backend into a directory",
        description="Issue a client certificate with a new key pair and write ca.pem, cert.pem and "
        "key.pem (mode 0600) into --out.",
    )
    add_data_dir(issue)
    issue.add_argument("--backend", required=True, metavar="ID", help="UUID of the backend")
    issue.add_argument("--out", required=True, type=Path, metavar="DIR", help="directory to write the PEM files to")
    issue.add_argument(
        "--ip", action="append", default=[], metavar="ADDR", help="IP address subject alternative name; repeatable"
    )
    issue.add_argument(
        "--dns", action="append", default=[], metavar="NAME", help="DNS name subject alternative name; repeatable"
    )
    add_client_cert_options(issue)
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
