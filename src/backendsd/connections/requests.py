"""Requests to a manager waiting for their responses.

Managers respond asynchronously and in any order. AttestationPolicy and
SVMInfo echo the request id; RunResponse and StopComputationResponse carry
the computation id. Each waiting request is a future keyed by the response's
kind and that id, removed on response, timeout or the end of the session.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from backendsd.errors import AlreadyExistsError, UnavailableError
from backendsd.proto.manager import manager_pb2


class ResponseKind(enum.Enum):
    ATTESTATION_POLICY = "attestationPolicy"
    SVM_INFO = "svm_info"
    RUN = "run_res"
    STOP = "stopComputationRes"


RequestKey = tuple[ResponseKind, str]


def fresh_request_id() -> str:
    return str(uuid.uuid4())


class PendingRequests:
    def __init__(self) -> None:
        self._waiting: dict[RequestKey, asyncio.Future[manager_pb2.ClientStreamMessage]] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    @contextmanager
    def expect(self, kind: ResponseKind, key: str) -> Iterator[asyncio.Future[manager_pb2.ClientStreamMessage]]:
        """Register a wait for the response of ``kind`` with ``key``; it is removed when the block exits."""
        request_key = (kind, key)
        if request_key in self._waiting:
            raise AlreadyExistsError(f"a {kind.value} response for {key!r} is already awaited", existing_id=key)
        future: asyncio.Future[manager_pb2.ClientStreamMessage] = asyncio.get_running_loop().create_future()
        self._waiting[request_key] = future
        try:
            yield future
        finally:
            del self._waiting[request_key]

    def resolve(self, kind: ResponseKind, key: str, message: manager_pb2.ClientStreamMessage) -> bool:
        """Pass a response to its waiting request; return False when no request waits for it."""
        future = self._waiting.get((kind, key))
        if future is None or future.done():
            return False
        future.set_result(message)
        return True

    def fail_all(self, reason: str) -> None:
        """Fail every waiting request, because the session that would carry the responses ended."""
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(UnavailableError(f"the manager's session ended while waiting: {reason}"))
