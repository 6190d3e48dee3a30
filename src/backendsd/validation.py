"""Input rules shared by every API door.

Each check returns the normalized value or appends a
:class:`~backendsd.errors.FieldViolation` to the list it is given, so that one
request reports all of its bad fields at once.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from backendsd.errors import FieldViolation

# How much of a rejected value an error message repeats.
MAX_ECHOED_CHARS = 40

_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_HOST_NAME_LENGTH = 253

# Only the canonical 8-4-4-4-12 form. uuid.UUID() also accepts braces, a
# urn:uuid: prefix, missing hyphens and non-ASCII digits.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# Labels that make a string look like an attempt at an IPv4 address rather
# than a host name: decimal, octal-looking or hexadecimal numbers.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_IPV4_BROADCAST = ipaddress.IPv4Address("255.255.255.255")

# Unicode categories that render as nothing or move text around: format
# characters (zero-width spaces, bidi overrides, the byte order mark) and
# the line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zl", "Zp"})


def shorten(value: str) -> str:
    """Quote ``value`` for an error message, cut to a readable length."""
    if len(value) <= MAX_ECHOED_CHARS:
        return repr(value)
    return repr(value[: MAX_ECHOED_CHARS - 3]) + "..."


def check_uuid(field: str, value: str, violations: list[FieldViolation]) -> str:
    """Return a UUID in its canonical hyphenated form (any case), lower-cased."""
    if not _UUID.fullmatch(value):
        violations.append(
            FieldViolation(
                field,
                f"{field}: {shorten(value)} is not a valid UUID; "
                "use 32 hexadecimal digits in groups of 8-4-4-4-12 separated by hyphens",
            )
        )
        return value
    return value.lower()


def check_text(
    field: str,
    value: str,
    violations: list[FieldViolation],
    *,
    min_length: int,
    max_length: int,
    allow_line_breaks: bool = False,
) -> str:
    """Strip surrounding white space, normalize to NFC, and check length and control characters."""
    text = unicodedata.normalize("NFC", value.strip())
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


def check_display_name(field: str, value: str, violations: list[FieldViolation], *, max_length: int) -> str:
    """Check a name that people read and compare, as check_text does, and reject invisible characters.

    A name must not contain format characters or line and paragraph
    separators, which can make two different names look the same. It must
    also have a visible character, because Hangul fillers and white space
    alone render as a blank.
    """
    text = check_text(field, value, violations, min_length=1, max_length=max_length)
    invisible = sorted({ch for ch in text if unicodedata.category(ch) in _INVISIBLE_CATEGORIES})
    if invisible:
        listed = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}" for ch in invisible)
        violations.append(
            FieldViolation(field, f"{field}: {shorten(text)} contains invisible characters ({listed}), which are not allowed")
        )
    elif text and all(_renders_blank(ch) for ch in text):
        violations.append(FieldViolation(field, f"{field}: {shorten(text)} has no visible character"))
    return text


def _renders_blank(ch: str) -> bool:
    return ch.isspace() or unicodedata.name(ch, "").endswith("FILLER")


def check_address(field: str, value: str, violations: list[FieldViolation]) -> str:
    """Normalize an IPv4 address, IPv6 address or RFC 1123 host name.

    IPv6 addresses come back in compressed form, IPv4-mapped IPv6 addresses
    (``::ffff:10.0.0.9``) as plain IPv4, host names in lower case without a
    trailing dot. Ports, brackets, zone ids, CIDR prefixes and addresses that
    name no single host (unspecified, multicast, IPv4 broadcast) are
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
        return _check_ip_address(field, text, address, violations)

    if all(_NUMERIC_LABEL.fullmatch(label) for label in text.split(".")):
        violations.append(
            FieldViolation(
                field,
                f"{field}: {shorten(text)} is not a valid dotted-decimal IPv4 address; "
                "write four numbers from 0 to 255 without leading zeros, as in 10.0.0.1",
            )
        )
        return text

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


def _check_ip_address(
    field: str, text: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address, violations: list[FieldViolation]
) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            violations.append(FieldViolation(field, f"{field}: {shorten(text)} has an IPv6 zone id, which is not allowed"))
            return text
        # One host, one spelling: the plain IPv4 form, whatever str() of a
        # mapped address gives in this Python version.
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped

    problem = None
    if address.is_unspecified:
        problem = "is the unspecified address, which names no host"
    elif address.is_multicast:
        problem = "is a multicast address, which names a group of hosts, not one host"
    elif address == _IPV4_BROADCAST:
        problem = "is the IPv4 broadcast address, which names every host on the link, not one host"
    if problem:
        violations.append(FieldViolation(field, f"{field}: {shorten(text)} {problem}"))
        return text
    return str(address)


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
