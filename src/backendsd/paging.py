"""Offset and limit rules shared by every listing."""

from __future__ import annotations

from backendsd.errors import FieldViolation

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100


def check_page(offset: int, limit: int, violations: list[FieldViolation]) -> None:
    if offset < 0:
        violations.append(FieldViolation("offset", f"offset: {offset} is negative; use 0 or more"))
    if limit < 0 or limit > MAX_PAGE_SIZE:
        violations.append(
            FieldViolation(
                "limit", f"limit: {limit} is out of range; use 1 to {MAX_PAGE_SIZE}, or 0 for {DEFAULT_PAGE_SIZE}"
            )
        )
