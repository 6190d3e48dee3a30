"""Turns the bearer token of a request into a role."""

from __future__ import annotations

import time

from backendsd.auth.failures import FailureLimiter, FailureLimits
from backendsd.auth.tokens import ApiToken, Role, hash_token
from backendsd.errors import PermissionDeniedError, ResourceExhaustedError, UnauthenticatedError
from backendsd.store.protocols import TokenStore

BEARER_PREFIX = "bearer "

# A token that was found valid is trusted this long without asking the
# database again, so a token revoked by ``backendsd token revoke`` while the
# daemon runs stops working within this many seconds.
CACHE_SECONDS = 2.0


class Authenticator:
    def __init__(
        self,
        *,
        store: TokenStore,
        cache_seconds: float = CACHE_SECONDS,
        failure_limits: FailureLimits | None = None,
    ) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[ApiToken, float]] = {}
        self._failures = FailureLimiter(failure_limits or FailureLimits())

    async def authorize(self, authorization: str | None, required: Role, *, peer: str | None = None) -> ApiToken:
        """Return the token behind an ``authorization`` header value if it grants ``required``.

        Raises UnauthenticatedError for a missing, malformed or unknown token
        and PermissionDeniedError for a role that is too weak. With ``peer``
        (a gRPC peer string), failures are counted per peer address, and a
        peer over the limit gets ResourceExhaustedError before any lookup.
        """
        if peer is None:
            token = await self._authenticate(authorization)
        else:
            token = await self._authenticate_counted(authorization, peer)
        if not token.role.allows(required):
            raise PermissionDeniedError(
                f"token {token.name!r} has role {token.role.value}, and this call needs role {required.value}"
            )
        return token

    async def _authenticate_counted(self, authorization: str | None, peer: str) -> ApiToken:
        retry_after = self._failures.retry_after(peer)
        if retry_after > 0:
            raise ResourceExhaustedError(
                f"too many failed authentication attempts from this address; retry in {retry_after:.0f} s"
            )
        try:
            return await self._authenticate(authorization)
        except UnauthenticatedError:
            self._failures.record_failure(peer)
            raise

    async def _authenticate(self, authorization: str | None) -> ApiToken:
        if not authorization:
            raise UnauthenticatedError("missing authorization metadata; send 'authorization: Bearer <token>'")
        if not authorization[: len(BEARER_PREFIX)].lower() == BEARER_PREFIX:
            raise UnauthenticatedError("malformed authorization metadata; expected 'Bearer <token>'")

        token_hash = hash_token(authorization[len(BEARER_PREFIX) :].strip())
        cached = self._cache.get(token_hash)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]

        token = await self._store.find_active(token_hash)
        if token is None:
            self._cache.pop(token_hash, None)
            raise UnauthenticatedError("invalid or revoked token")
        self._cache[token_hash] = (token, now + self._cache_seconds)
        return token
