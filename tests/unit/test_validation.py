"""Input rules, checked without a daemon."""

from __future__ import annotations

import pytest

from backendsd.errors import FieldViolation
from backendsd.validation import check_address, check_text, shorten


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("10.0.0.1", "10.0.0.1"),
        ("::1", "::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::ffff:10.0.0.1", "::ffff:a00:1"),
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
