"""Backend information reported by its manager: the attestation policy and VM facts.

The latest responses are stored, so operators see them while the backend is
offline too. Health probes ask for the VM facts anyway, and their responses
update the same record.
"""

from __future__ import annotations

import structlog

from backendsd.backends.model import BackendInformation, SvmInfo, SvmInfoUpdate
from backendsd.batching import BatchWriter
from backendsd.clock import now_us
from backendsd.connections.registry import ConnectionRegistry
from backendsd.connections.requests import ResponseKind, fresh_request_id
from backendsd.connections.session import Session
from backendsd.proto.manager import manager_pb2
from backendsd.store.protocols import BackendStore, InformationStore

logger = structlog.get_logger(__name__)


class InformationService:
    def __init__(
        self,
        *,
        store: InformationStore,
        backends: BackendStore,
        registry: ConnectionRegistry,
        probe_responses: BatchWriter[SvmInfoUpdate],
    ) -> None:
        self._store = store
        self._backends = backends
        self._registry = registry
        self._probe_responses = probe_responses
        registry.on_svm_info(self._record_svm_info)

    async def get(self, backend_id: str) -> BackendInformation:
        return await self._store.get(backend_id)

    async def fetch_attestation_policy(self, backend_id: str, timeout: float) -> tuple[bytes, int]:
        """Ask the manager for its attestation policy; store and return it with the fetch time."""
        session = await self._session(backend_id)
        request_id = fresh_request_id()
        response = await session.request(
            [manager_pb2.ServerStreamMessage(attestationPolicyReq=manager_pb2.AttestationPolicyReq(id=request_id))],
            expect=ResponseKind.ATTESTATION_POLICY,
            key=request_id,
            timeout=timeout,
        )
        fetched_at = now_us()
        policy = response.attestationPolicy.info
        await self._store.save_attestation_policy(backend_id, policy, fetched_at)
        logger.info("attestation_policy_fetched", backend_id=backend_id, size=len(policy))
        return policy, fetched_at

    async def fetch_svm_info(self, backend_id: str, timeout: float) -> tuple[SvmInfo, int]:
        """Ask the manager for its VM facts; store and return them with the fetch time."""
        session = await self._session(backend_id)
        request_id = fresh_request_id()
        response = await session.request(
            [manager_pb2.ServerStreamMessage(svmInfoReq=manager_pb2.SVMInfoReq(id=request_id))],
            expect=ResponseKind.SVM_INFO,
            key=request_id,
            timeout=timeout,
        )
        # The registry's listener has queued this response for storage already;
        # waiting for it keeps GetBackend consistent with this reply.
        await self._probe_responses.flush()
        logger.info("svm_info_fetched", backend_id=backend_id)
        return SvmInfo.from_message(response.svm_info), now_us()

    async def _session(self, backend_id: str) -> Session:
        await self._backends.get(backend_id)
        return self._registry.session_for(backend_id)

    def _record_svm_info(self, session: Session, message: manager_pb2.SVMInfo) -> None:
        update = SvmInfoUpdate(session.backend_id, SvmInfo.from_message(message), now_us())
        self._probe_responses.add(update)
