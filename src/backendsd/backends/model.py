"""The backend record and the queries over it."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from backendsd.proto.manager import manager_pb2


@dataclass(frozen=True)
class Backend:
    """A registered backend as stored; times are microseconds since the epoch."""

    id: str
    name: str
    description: str
    address: str
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class BackendChanges:
    """Validated, normalized new values for the editable fields; None keeps a field."""

    name: str | None = None
    description: str | None = None
    address: str | None = None

    def as_columns(self) -> dict[str, str]:
        """Return the changed fields by column name."""
        columns = {"name": self.name, "description": self.description, "address": self.address}
        return {column: value for column, value in columns.items() if value is not None}


class BackendOrder(enum.Enum):
    CREATED_AT = "created_at"
    NAME = "name"


@dataclass(frozen=True)
class BackendQuery:
    """A validated ListBackends request."""

    offset: int
    limit: int
    name_contains: str = ""
    address: str = ""
    order_by: BackendOrder = BackendOrder.CREATED_AT
    descending: bool = False
    only_ids: frozenset[str] | None = None
    """When set, only backends with these ids match."""
    excluded_ids: frozenset[str] = frozenset()
    """Backends with these ids never match."""


@dataclass(frozen=True)
class BackendPage:
    """One page of a listing, with the query that produced it."""

    backends: list[Backend]
    total: int
    query: BackendQuery


@dataclass(frozen=True)
class SvmInfo:
    """Facts of the confidential VM that a manager boots."""

    ovmf_version: str
    cpu_num: int
    cpu_type: str
    kernel_cmd: str
    eos_version: str

    @classmethod
    def from_message(cls, message: manager_pb2.SVMInfo) -> SvmInfo:
        return cls(
            ovmf_version=message.ovmf_version,
            cpu_num=message.cpu_num,
            cpu_type=message.cpu_type,
            kernel_cmd=message.kernel_cmd,
            eos_version=message.eos_version,
        )


@dataclass(frozen=True)
class BackendInformation:
    """The latest stored responses; times are microseconds since the epoch, None until fetched."""

    attestation_policy: bytes | None = None
    attestation_policy_fetched_at: int | None = None
    svm_info: SvmInfo | None = None
    svm_info_fetched_at: int | None = None

    @property
    def has_any(self) -> bool:
        return self.attestation_policy_fetched_at is not None or self.svm_info_fetched_at is not None


@dataclass(frozen=True)
class SvmInfoUpdate:
    backend_id: str
    svm_info: SvmInfo
    fetched_at: int
