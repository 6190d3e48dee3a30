"""Input rules, checked without a daemon."""

from __future__ import annotations

import pytest

from backendsd.errors import FieldViolation
from backendsd.validation import check_address, check_display_name, check_text, check_uuid, shorten


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("10.0.0.1", "10.0.0.1"),
        ("::1", "::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("::FFFF:a00:9", "10.0.0.9"),
        ("0:0:0:0:0:ffff:10.0.0.9", "10.0.0.9"),
        ("EXAMPLE.com", "example.com"),
        ("example.com.", "example.com"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("a" * 63 + ".example", "a" * 63 + ".example"),
        ("host-1", "host-1"),
    ],
)
def test_address_accepted(given: str, normalized: str) -> None:
    violations: list[FieldViolation] = []

    assert check_address("address", given, violations) == normalized
    assert violations == []


@pytest.mark.parametrize(
    "given",
    [
        "010.0.0.1",
        "10.0.0.256",
        "1.2.3",
        "10.0.0.1:80",
        "[::1]",
        "[::1]:7001",
        "10.0.0.0/8",
        "fe80::1%eth0",
        "bücher.example",
        "-host",
        "host-",
        "a..b",
        ".leading",
        "under_score",
        "a" * 64,
        ".".join(["a" * 63] * 4),
        "two words",
        "..",
        ".",
        "0.0.0.0",
        "::",
        "::ffff:0.0.0.0",
        "224.0.0.1",
        "ff02::1",
        "::ffff:239.1.1.1",
        "255.255.255.255",
        "::ffff:255.255.255.255",
        "127.1",
        "0x7f.1",
        "0x7f000001",
    ],
)
def test_address_rejected(given: str) -> None:
    violations: list[FieldViolation] = []

    check_address("address", given, violations)

    assert len(violations) == 1
    assert violations[0].field == "address"


def test_text_counts_characters_after_trimming() -> None:
    violations: list[FieldViolation] = []

    assert check_text("name", "  ab  ", violations, min_length=1, max_length=2) == "ab"
    assert violations == []


def test_text_allows_line_breaks_when_asked() -> None:
    violations: list[FieldViolation] = []

    check_text("description", "line 1\nline 2\tend", violations, min_length=0, max_length=100, allow_line_breaks=True)

    assert violations == []


def test_text_rejects_escape_character() -> None:
    violations: list[FieldViolation] = []

    check_text("description", "colour \x1b[31m", violations, min_length=0, max_length=100, allow_line_breaks=True)

    assert [v.field for v in violations] == ["description"]


def test_shorten_cuts_long_values() -> None:
    shortened = shorten("x" * 100)

    assert len(shortened) < 50
    assert shortened.endswith("...")


@pytest.mark.parametrize(
    ("given", "rule"),
    [
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
    ],
)
def test_address_no_single_host_names_rule(given: str, rule: str) -> None:
    """An address that cannot name one host is rejected with the rule that it breaks."""
    violations: list[FieldViolation] = []

    check_address("address", given, violations)

    assert rule in violations[0].description


@pytest.mark.parametrize("given", ["010.0.0.1", "127.1", "0x7f.1", "10.0.0.256", "1.2.3"])
def test_address_numeric_says_dotted_decimal(given: str) -> None:
    """A numeric string that is no IPv4 address gets the IPv4 rule, not the host name rule."""
    violations: list[FieldViolation] = []

    check_address("address", given, violations)

    assert "dotted-decimal IPv4" in violations[0].description
    assert "leading zeros" in violations[0].description


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e"),
        ("0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5b-d9cb-469f-a165-70867728950e"),
    ],
)
def test_uuid_accepted(given: str, canonical: str) -> None:
    violations: list[FieldViolation] = []

    assert check_uuid("id", given, violations) == canonical
    assert violations == []


@pytest.mark.parametrize(
    "given",
    [
        "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
        "{0f8fad5b-d9cb-469f-a165-70867728950e}",
        "0f8fad5bd9cb469fa16570867728950e",
        "0f8fad5b-d9cb-469f-a165-70867728950e\n",
        " 0f8fad5b-d9cb-469f-a165-70867728950e",
        "0f8fad5b-d9cb-469f-a165-7086772895\u0660\u0661",
        "0f8fad5bd-9cb-469f-a165-70867728950e",
        "",
    ],
)
def test_uuid_rejects_non_canonical(given: str) -> None:
    violations: list[FieldViolation] = []

    check_uuid("id", given, violations)

    assert [v.field for v in violations] == ["id"]


@pytest.mark.parametrize(
    "given",
    [
        "edge\u200b1",
        "\ufeffedge",
        "edge\u202egnp.exe",
        "edge\u2028one",
        "edge\u2029one",
        "\u3164",
        "\uffa0 \u3164",
    ],
)
def test_display_name_rejects_invisible(given: str) -> None:
    violations: list[FieldViolation] = []

    check_display_name("name", given, violations, max_length=255)

    assert [v.field for v in violations] == ["name"]


def test_display_name_names_code_point() -> None:
    violations: list[FieldViolation] = []

    check_display_name("name", "edge\u200b1", violations, max_length=255)

    assert "U+200B ZERO WIDTH SPACE" in violations[0].description


def test_display_name_allows_filler_beside_text() -> None:
    """A Hangul filler next to visible characters is allowed: only a name of nothing but blanks is rejected."""
    violations: list[FieldViolation] = []

    assert check_display_name("name", "\ud55c\u3164a", violations, max_length=255) == "\ud55c\u3164a"
    assert violations == []


def test_text_normalizes_to_nfc() -> None:
    """A decomposed e with acute accent is stored as the one precomposed character."""
    violations: list[FieldViolation] = []

    assert check_text("name", "cafe\u0301", violations, min_length=1, max_length=4) == "caf\u00e9"
    assert violations == []
