"""The domain's exception hierarchy.

Every error that a caller can cause or should see derives from
:class:`BackendsdError`. The API layers map these classes to status codes in
one place each (``backendsd.api.status`` for gRPC); domain code never touches
status codes.
"""

from __future__ import annotations

from dataclasses import dataclass


class BackendsdError(Exception):
    """Root of every error that backendsd raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldViolation:
    """One rejected input field: the field path and what is wrong with it."""

    field: str
    description: str


class InvalidArgumentError(BackendsdError):
    """The request itself is malformed; retrying it unchanged cannot succeed."""

    def __init__(self, violations: list[FieldViolation]) -> None:
        if not violations:
            raise ValueError("InvalidArgumentError needs at least one violation")
        super().__init__("; ".join(v.description for v in violations))
        self.violations = tuple(violations)

    @classmethod
    def for_field(cls, field: str, description: str) -> InvalidArgumentError:
        return cls([FieldViolation(field, description)])


class NotFoundError(BackendsdError):
    """The named resource does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class AlreadyExistsError(BackendsdError):
    """The write would break a uniqueness rule held by an existing resource."""

    def __init__(self, message: str, *, existing_id: str) -> None:
        super().__init__(message)
        self.existing_id = existing_id


class FailedPreconditionError(BackendsdError):
    """The resource is not in a state that allows the operation."""


class DeadlineExceededError(BackendsdError):
    """The other side did not respond in time."""


class ResourceExhaustedError(BackendsdError):
    """A bounded resource (a queue, a session limit) is full; retrying later may succeed."""


class UnauthenticatedError(BackendsdError):
    """The caller presented no credential or an unknown one."""


class PermissionDeniedError(BackendsdError):
    """The caller is known but its role does not allow the operation."""


class MalformedRequestError(BackendsdError):
    """The request bytes do not decode as the method's request message."""


class UnavailableError(BackendsdError):
    """A dependency (the database, a manager's session) is busy or went away; retrying later may succeed."""


class StartupError(BackendsdError):
    """The daemon or a command cannot start with this host, configuration or data directory.

    Examples are a listen address in use, a data directory that another
    daemon holds, and a missing database or one from a newer backendsd. The
    command line prints the message on one line and exits with status 1.
    """
