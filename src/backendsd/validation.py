"""Input rules shared by every API door.

Each check returns the normalized value or appends a
:class:`~backendsd.errors.FieldViolation` to the list it is given, so that one
request reports all of its bad fields at once.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
import uuid

from backendsd.errors import FieldViolation

# How much of a rejected value an error message repeats.
MAX_ECHOED_CHARS = 40

_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_HOST_NAME_LENGTH = 253


def shorten(value: str) -> str:
    """Quote ``value`` for an error message, cut to a readable length."""
    if len(value) <= MAX_ECHOED_CHARS:
        return repr(value)
    return repr(value[: MAX_ECHOED_CHARS - 3]) + "..."


def check_uuid(field: str, value: str, violations: list[FieldViolation]) -> str:
    """Return the canonical lower-case form of a UUID string."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        violations.append(FieldViolation(field, f"{field}: {shorten(value)} is not a valid UUID"))
        return value


def check_text(
    field: str,
    value: str,
    violations: list[FieldViolation],
    *,
    min_length: int,
    max_length: int,
    allow_line_breaks: bool = False,
) -> str:
    """Strip surrounding white space and check length and control characters."""
    text = value.strip()
    if len(text) < min_length:
        rule = "is required" if min_length == 1 else f"needs at least {min_length} characters"
        violations.append(FieldViolation(field, f"{field} {rule}"))
    elif len(text) > max_length:
        violations.append(
            FieldViolation(field, f"{field}: {shorten(text)} has {len(text)} characters, more than the maximum of {max_length}")
        )

    allowed = "\n\t" if allow_line_breaks else ""
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
        kind = "control characters other than line breaks and tabs" if allow_line_breaks else "control characters"
        violations.append(FieldViolation(field, f"{field}: {shorten(text)} contains {kind}, which are not allowed"))
    return text


def check_address(field: str, value: str, violations: list[FieldViolation]) -> str:
    """Normalize an IPv4 address, IPv6 address or RFC 1123 host name.

    IPv6 addresses come back in compressed form, host names in lower case
    without a trailing dot. Ports, brackets, zone ids and CIDR prefixes are
    rejected, because a backend's address names one host.
    """
    text = value.strip()
    if not text:
        violations.append(FieldViolation(field, f"{field} is required"))
        return text

    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            violations.append(FieldViolation(field, f"{field}: {shorten(text)} has an IPv6 zone id, which is not allowed"))
            return text
        return str(address)

    problem = _host_name_problem(text)
    if problem:
        violations.append(
            FieldViolation(
                field,
                f"{field}: {shorten(text)} is not a valid IPv4 address, IPv6 address or DNS host name: {problem}",
            )
        )
        return text
    return text.lower().removesuffix(".")


def check_host_name(field: str, value: str, violations: list[FieldViolation]) -> str:
    """Normalize an RFC 1123 host name to lower case without a trailing dot; IP addresses are rejected."""
    text = value.strip()
    problem = _host_name_problem(text) if text else "it is empty"
    if problem:
        violations.append(FieldViolation(field, f"{field}: {shorten(text)} is not a valid DNS host name: {problem}"))
        return text
    return text.lower().removesuffix(".")


def _host_name_problem(text: str) -> str | None:
    """Return why ``text`` is not an RFC 1123 host name, or None if it is one."""
    if not text.isascii():
        return "host names must be ASCII (write internationalized names in their xn-- form)"
    if "/" in text:
        return "a CIDR prefix is not allowed"
    if ":" in text or text.startswith("["):
        return "give the host alone, without brackets or a port"

    name = text.lower().removesuffix(".")
    if len(name) > MAX_HOST_NAME_LENGTH:
        return f"host names have at most {MAX_HOST_NAME_LENGTH} characters"

    labels = name.split(".")
    if "" in labels:
        return "it has an empty label (two dots in a row, or a leading dot)"
    for label in labels:
        if not _HOST_LABEL.match(label):
            return (
                f"label {shorten(label)} must be 1 to 63 letters, digits or hyphens, "
                "and not start or end with a hyphen"
            )
    if labels[-1].isdigit():
        return "the last label of a host name cannot be all digits"
    return None
