"""JSON request bodies, query parameters and the JSON form of domain records.

Type errors in a body or a query become InvalidArgumentError naming the
field, like the services' own checks. Everything else about a value (range,
format, uniqueness) is left to the service, so both API doors apply the same
rules.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Collection
from typing import Any

from aiohttp import web

from backendsd.backends.model import Backend, BackendInformation
from backendsd.certs.model import CertificateRecord
from backendsd.clock import datetime_from_us
from backendsd.connections.model import ConnectionState
from backendsd.errors import FieldViolation, InvalidArgumentError
from backendsd.validation import shorten

JSON_CONTENT_TYPE = "application/json"


class JsonObject:
    """A request body that was a JSON object; reads typed fields and collects every violation."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields
        self._violations: list[FieldViolation] = []

    def string(self, field: str) -> str:
        """Return a string field; a missing field or null is ""."""
        value = self._fields.get(field)
        if value is None:
            return ""
        if not isinstance(value, str):
            self._reject(field, f"{field}: expected a string, got {_json_type(value)}")
            return ""
        return value

    def strings(self, field: str) -> list[str]:
        """Return a field that is a list of strings; a missing field or null is []."""
        value = self._fields.get(field)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self._reject(field, f"{field}: expected a list of strings, got {_json_type(value)}")
            return []
        return value

    def integer(self, field: str, default: int) -> int:
        value = self._fields.get(field)
        if value is None:
            return default
        # bool is a subclass of int in Python, but true is no number in JSON.
        if not isinstance(value, int) or isinstance(value, bool):
            self._reject(field, f"{field}: expected a whole number, got {_json_type(value)}")
            return default
        return value

    def check(self, allowed: Collection[str]) -> None:
        """Raise InvalidArgumentError for unknown fields and for every type error found so far."""
        for field in self._fields:
            if field not in allowed:
                self._reject(field, f"{shorten(field)} is not a known field; use {', '.join(allowed)}")
        if self._violations:
            raise InvalidArgumentError(self._violations)

    def _reject(self, field: str, description: str) -> None:
        self._violations.append(FieldViolation(field, description))


async def read_object(request: web.Request, *, optional: bool = False) -> JsonObject:
    """Read the body as a JSON object.

    Raises HTTPUnsupportedMediaType (415) when the body is missing (unless
    ``optional``), is declared as another media type or does not parse, and
    InvalidArgumentError when it is JSON but not an object. Reading a body
    larger than the application's ``client_max_size`` raises
    HTTPRequestEntityTooLarge (413).
    """
    if not request.body_exists:
        if optional:
            return JsonObject({})
        raise web.HTTPUnsupportedMediaType(
            text=f"the request has no body; send a JSON object with Content-Type: {JSON_CONTENT_TYPE}"
        )
    if not _may_be_json(request.content_type):
        raise web.HTTPUnsupportedMediaType(
            text=f"unsupported Content-Type {shorten(request.content_type)}; send {JSON_CONTENT_TYPE}"
        )

    raw = await request.read()
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise web.HTTPUnsupportedMediaType(text=f"the request body is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise InvalidArgumentError.for_field("body", f"body: expected a JSON object, got {_json_type(value)}")
    return JsonObject(value)


def json_response(data: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Return ``data`` as a JSON body, ending in a newline so that curl output ends its line."""
    return web.Response(
        text=json.dumps(data) + "\n", status=status, headers=headers, content_type=JSON_CONTENT_TYPE
    )


def query_integer(request: web.Request, field: str) -> int:
    """Return an integer query parameter; a missing or empty parameter is 0."""
    text = request.query.get(field, "").strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise InvalidArgumentError.for_field(field, f"{field}: {shorten(text)} is not a whole number") from None


def rfc3339(microseconds: int | None) -> str | None:
    """Format a store time (microseconds since the epoch) as an RFC 3339 UTC timestamp."""
    if microseconds is None:
        return None
    return datetime_from_us(microseconds).isoformat(timespec="microseconds").replace("+00:00", "Z")


def backend_to_json(backend: Backend, connection: ConnectionState) -> dict[str, Any]:
    return {
        "id": backend.id,
        "name": backend.name,
        "description": backend.description,
        "address": backend.address,
        "status": connection.status.value,
        "created_at": rfc3339(backend.created_at),
        "updated_at": rfc3339(backend.updated_at),
        "connected_since": rfc3339(connection.connected_since),
        "last_seen": rfc3339(connection.last_seen),
        "peer": connection.peer,
        "certificate_serial": connection.certificate_serial,
    }


def information_to_json(information: BackendInformation) -> dict[str, Any]:
    """Return the stored manager information.

    The attestation policy is included as a JSON value when its bytes are
    JSON (as real managers send), otherwise as a base64 string.
    """
    policy: Any = None
    if information.attestation_policy is not None:
        try:
            policy = json.loads(information.attestation_policy)
        except ValueError:
            policy = base64.b64encode(information.attestation_policy).decode()
    return {
        "attestation_policy": policy,
        "attestation_policy_fetched_at": rfc3339(information.attestation_policy_fetched_at),
        "svm_info": dataclasses.asdict(information.svm_info) if information.svm_info else None,
        "svm_info_fetched_at": rfc3339(information.svm_info_fetched_at),
    }


def certificate_to_json(record: CertificateRecord) -> dict[str, Any]:
    reason = record.revocation_reason
    return {
        "serial_number": str(record.serial_number),
        "backend_id": record.backend_id,
        "not_before": rfc3339(record.not_before),
        "not_after": rfc3339(record.not_after),
        "revoked": record.is_revoked,
        "revoked_at": rfc3339(record.revoked_at),
        "revocation_reason": None if reason is None else reason.name.lower(),
        "sha256_fingerprint": record.sha256_fingerprint,
        "ip_addresses": list(record.ip_addresses),
        "dns_names": list(record.dns_names),
        "key_stored": record.encrypted_private_key is not None,
        "replaces_serial_number": (
            None if record.replaces_serial_number is None else str(record.replaces_serial_number)
        ),
    }


# The media type that `curl -d` sends when a script sets no Content-Type. Scripts written
# for the operators' existing API do that, so such a body is accepted when it
# parses as JSON.
_CURL_DEFAULT_TYPE = "application/x-www-form-urlencoded"


def _may_be_json(content_type: str) -> bool:
    if content_type in (JSON_CONTENT_TYPE, _CURL_DEFAULT_TYPE, "application/octet-stream", ""):
        return True
    return content_type.startswith("application/") and content_type.endswith("+json")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
