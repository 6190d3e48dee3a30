"""An OCSP responder (RFC 6960) for the client certificates that the daemon's CA issued.

``POST /certs/ocsp`` takes a DER request as its body; ``GET
/certs/ocsp/<request>`` takes it in base64, URL-encoded (RFC 6960, appendix
A.1). The CA signs every response itself, so clients check it with the CA
certificate they already trust. Responses are computed from the store on each
request and carry no nextUpdate, so clients should not cache them.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import urllib.parse

import structlog
from aiohttp import web
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from backendsd.certs.model import CertificateRecord, RevocationReason
from backendsd.certs.service import CertificateService
from backendsd.clock import datetime_from_us
from backendsd.errors import InvalidArgumentError, NotFoundError
from backendsd.http.routing import Route
from backendsd.pki.authority import CertificateAuthority
from backendsd.pki.keys import PrivateKey

logger = structlog.get_logger(__name__)

OCSP_REQUEST_TYPE = "application/ocsp-request"
OCSP_RESPONSE_TYPE = "application/ocsp-response"

_REASON_FLAGS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.CA_COMPROMISE: x509.ReasonFlags.ca_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.PRIVILEGE_WITHDRAWN: x509.ReasonFlags.privilege_withdrawn,
    RevocationReason.AA_COMPROMISE: x509.ReasonFlags.aa_compromise,
}


class OcspResponder:
    """Responds to OCSP requests from the certificate store, with responses signed by the CA key."""

    def __init__(self, *, certificates: CertificateService, authority: CertificateAuthority) -> None:
        self._certificates = certificates
        self._authority = authority

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/certs/ocsp", self.respond_to_post, None),
            Route("GET", "/certs/ocsp/{request:.+}", self.respond_to_get, None),
        ]

    async def respond_to_post(self, request: web.Request) -> web.Response:
        # The Content-Type is not checked: a body that is no OCSP request
        # gets a malformedRequest response either way.
        return await self._respond(await request.read())

    async def respond_to_get(self, request: web.Request) -> web.Response:
        # aiohttp may leave %2F encoded in a path parameter; base64 has no "%".
        text = urllib.parse.unquote(request.match_info["request"])
        try:
            der = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            der = b""
        return await self._respond(der)

    async def _respond(self, der: bytes) -> web.Response:
        try:
            ocsp_request = ocsp.load_der_ocsp_request(der)
            algorithm = ocsp_request.hash_algorithm
        except (ValueError, UnsupportedAlgorithm) as error:
            logger.info("ocsp_request_malformed", error=str(error), size=len(der))
            unsuccessful = ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
            return _ocsp_response(unsuccessful)

        record = await self._find(ocsp_request, algorithm)
        response = self._sign(ocsp_request, algorithm, record)
        return _ocsp_response(response)

    async def _find(self, ocsp_request: ocsp.OCSPRequest, algorithm: hashes.HashAlgorithm) -> CertificateRecord | None:
        """Return the store's record of the requested certificate, or None when it is not this CA's."""
        if not self._is_our_issuer(ocsp_request, algorithm):
            return None
        try:
            return await self._certificates.get(str(ocsp_request.serial_number))
        except (NotFoundError, InvalidArgumentError):
            # NOTE: the daemon's own server certificate is not in the store,
            # so it is reported as unknown.
            return None

    def _is_our_issuer(self, ocsp_request: ocsp.OCSPRequest, algorithm: hashes.HashAlgorithm) -> bool:
        certificate = self._authority.certificate
        name_hash = _digest(algorithm, certificate.subject.public_bytes())
        key_hash = _digest(algorithm, _subject_public_key(self._authority.private_key))
        return ocsp_request.issuer_name_hash == name_hash and ocsp_request.issuer_key_hash == key_hash

    def _sign(
        self, ocsp_request: ocsp.OCSPRequest, algorithm: hashes.HashAlgorithm, record: CertificateRecord | None
    ) -> ocsp.OCSPResponse:
        now = datetime.datetime.now(datetime.timezone.utc)
        status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        if record is not None and record.revoked_at is not None:
            status, revoked_at = ocsp.OCSPCertStatus.REVOKED, datetime_from_us(record.revoked_at)
            reason = _REASON_FLAGS[record.revocation_reason or RevocationReason.UNSPECIFIED]
        elif record is not None:
            status = ocsp.OCSPCertStatus.GOOD

        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=ocsp_request.issuer_name_hash,
                issuer_key_hash=ocsp_request.issuer_key_hash,
                serial_number=ocsp_request.serial_number,
                algorithm=algorithm,
                cert_status=status,
                this_update=now,
                next_update=None,
                revocation_time=revoked_at,
                revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self._authority.certificate)
        )
        nonce = _nonce_of(ocsp_request)
        if nonce is not None:
            builder = builder.add_extension(nonce, critical=False)
        logger.debug("ocsp_responded", serial_number=str(ocsp_request.serial_number), status=status.name.lower())
        return builder.sign(self._authority.private_key, hashes.SHA256())


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize()


def _subject_public_key(private_key: PrivateKey) -> bytes:
    """Return the value of the subjectPublicKey BIT STRING, which an OCSP issuer key hash covers."""
    public_key = private_key.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _nonce_of(ocsp_request: ocsp.OCSPRequest) -> x509.OCSPNonce | None:
    """Return the request's nonce, which the response must repeat (RFC 6960, section 4.4.1)."""
    try:
        return ocsp_request.extensions.get_extension_for_class(x509.OCSPNonce).value
    except x509.ExtensionNotFound:
        return None


def _ocsp_response(response: ocsp.OCSPResponse) -> web.Response:
    return web.Response(body=response.public_bytes(serialization.Encoding.DER), content_type=OCSP_RESPONSE_TYPE)
