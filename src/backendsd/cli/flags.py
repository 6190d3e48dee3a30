"""Flag values for the ``backendsd`` command: argparse types, environment fallbacks and shared flags."""

from __future__ import annotations

import argparse
import datetime
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from backendsd.config import ListenAddress
from backendsd.log import LOG_FORMATS, LOG_LEVELS
from backendsd.pki.crl import CRL_VALIDITY
from backendsd.pki.keys import KeyType

ENV_PREFIX = "BACKENDSD_"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})

T = TypeVar("T")


class EnvironmentValue(str):
    """A flag's default taken from the environment, which remembers its variable for error messages."""

    variable: str


def env(flag: str, default: Any) -> Any:
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


def env_list(flag: str) -> list[str]:
    return [item.strip() for item in str(env(flag, "")).split(",") if item.strip()]


def naming_environment(parse: Callable[[str], T]) -> Callable[[str], T]:
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


def choice_of(choices: Sequence[str]) -> Callable[[str], str]:
    """Return an argparse ``type`` that accepts one of ``choices``, because argparse checks no choices on defaults."""

    def parse(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(f"invalid choice {text!r}; use one of {', '.join(choices)}")
        return text

    return naming_environment(parse)


@naming_environment
def switch_value(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise argparse.ArgumentTypeError(
        f"invalid on/off value {text!r}; use 1, true, yes or on to turn it on, "
        "and 0, false, no, off or an empty value to turn it off"
    )


class Switch(argparse.Action):
    """An on/off flag like ``store_true`` whose string default (from the environment) goes through ``type``."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option_string: str | None = None
    ) -> None:
        setattr(namespace, self.dest, True)


@naming_environment
def listen_address(text: str) -> ListenAddress:
    try:
        return ListenAddress.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _finite_non_negative(text: str, *, quantity: str, expected: str = "") -> float:
    """Parse ``text`` as a finite number of 0 or more, naming ``quantity`` in errors (and ``expected`` if unreadable)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {quantity} {text!r}{expected}") from None
    # float() also reads "nan" and "inf". A NaN deadline is never due, so
    # one NaN probe timeout stopped all probing.
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"invalid {quantity} {text!r}: must be a finite number")
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid {quantity} {text!r}: must be 0 or more")
    return value


@naming_environment
def positive_seconds(text: str) -> float:
    return _finite_non_negative(text, quantity="number of seconds")


@naming_environment
def positive_days(text: str) -> datetime.timedelta:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of days {text!r}: expected a whole number") from None
    if days < 1:
        raise argparse.ArgumentTypeError(f"invalid number of days {text!r}: must be 1 or more")
    return datetime.timedelta(days=days)


def key_type_value(text: str) -> KeyType:
    return KeyType(choice_of([key_type.value for key_type in KeyType])(text))


@naming_environment
def positive_count(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}: must be a whole number above 0")
    return int(text)


@naming_environment
def non_negative_count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"invalid number {text!r}: must be a whole number, 0 or more")
    return int(text)


@naming_environment
def strictly_positive_seconds(text: str) -> float:
    value = positive_seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {text!r}: must be more than 0")
    return value


def crl_refresh_seconds(text: str) -> float:
    value = strictly_positive_seconds(text)
    limit = CRL_VALIDITY.total_seconds()
    if value >= limit:
        raise argparse.ArgumentTypeError(
            f"invalid number of seconds {text!r}: must be less than the CRL's validity of {limit:g} s (7 days)"
        )
    return value


def messages_per_second(text: str) -> float:
    return _finite_non_negative(text, quantity="rate", expected=": expected messages per second")


def integer_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid whole number {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"invalid number {text!r}: must be {minimum} or more")
        return value

    return parse


def port_number(text: str) -> int:
    value = integer_at_least(1)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: must be from 1 to 65535")
    return value


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=env("data-dir", "data"),
        help="directory of the database, PKI files and admin token (default: %(default)s)",
    )


def add_logging_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-level",
        type=choice_of(LOG_LEVELS),
        choices=LOG_LEVELS,
        default=env("log-level", "info"),
        help="lowest level logged (default: %(default)s)",
    )
    parser.add_argument(
        "--log-format",
        type=choice_of(LOG_FORMATS),
        choices=LOG_FORMATS,
        default=env("log-format", "json"),
        help="json: one JSON object per line; console: for people (default: %(default)s)",
    )


def add_client_cert_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--client-cert-ttl",
        type=positive_days,
        default=env("client-cert-ttl", "90"),
        metavar="DAYS",
        help="validity of client certificates when a request gives no ttl, in days; "
        "cut to the CA's expiry (default: %(default)s)",
    )
    parser.add_argument(
        "--client-key-type",
        type=key_type_value,
        choices=list(KeyType),
        default=env("client-key-type", KeyType.ECDSA_P256.value),
        metavar="{" + ",".join(key_type.value for key_type in KeyType) + "}",
        help="algorithm of the client key pairs that the daemon generates (default: %(default)s)",
    )
