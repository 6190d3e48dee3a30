import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RevocationReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVOCATION_REASON_UNSPECIFIED: _ClassVar[RevocationReason]
    REVOCATION_REASON_KEY_COMPROMISE: _ClassVar[RevocationReason]
    REVOCATION_REASON_CA_COMPROMISE: _ClassVar[RevocationReason]
    REVOCATION_REASON_AFFILIATION_CHANGED: _ClassVar[RevocationReason]
    REVOCATION_REASON_SUPERSEDED: _ClassVar[RevocationReason]
    REVOCATION_REASON_CESSATION_OF_OPERATION: _ClassVar[RevocationReason]
    REVOCATION_REASON_PRIVILEGE_WITHDRAWN: _ClassVar[RevocationReason]
    REVOCATION_REASON_AA_COMPROMISE: _ClassVar[RevocationReason]
REVOCATION_REASON_UNSPECIFIED: RevocationReason
REVOCATION_REASON_KEY_COMPROMISE: RevocationReason
REVOCATION_REASON_CA_COMPROMISE: RevocationReason
REVOCATION_REASON_AFFILIATION_CHANGED: RevocationReason
REVOCATION_REASON_SUPERSEDED: RevocationReason
REVOCATION_REASON_CESSATION_OF_OPERATION: RevocationReason
REVOCATION_REASON_PRIVILEGE_WITHDRAWN: RevocationReason
REVOCATION_REASON_AA_COMPROMISE: RevocationReason

class Certificate(_message.Message):
    __slots__ = ("serial_number", "backend_id", "not_before", "not_after", "revoked", "revoked_at", "revocation_reason", "sha256_fingerprint", "ip_addresses", "dns_names", "replaces_serial_number")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_REASON_FIELD_NUMBER: _ClassVar[int]
    SHA256_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    DNS_NAMES_FIELD_NUMBER: _ClassVar[int]
    REPLACES_SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    backend_id: str
    not_before: _timestamp_pb2.Timestamp
    not_after: _timestamp_pb2.Timestamp
    revoked: bool
    revoked_at: _timestamp_pb2.Timestamp
    revocation_reason: RevocationReason
    sha256_fingerprint: str
    ip_addresses: _containers.RepeatedScalarFieldContainer[str]
    dns_names: _containers.RepeatedScalarFieldContainer[str]
    replaces_serial_number: str
    def __init__(self, serial_number: _Optional[str] = ..., backend_id: _Optional[str] = ..., not_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., not_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked: _Optional[bool] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revocation_reason: _Optional[_Union[RevocationReason, str]] = ..., sha256_fingerprint: _Optional[str] = ..., ip_addresses: _Optional[_Iterable[str]] = ..., dns_names: _Optional[_Iterable[str]] = ..., replaces_serial_number: _Optional[str] = ...) -> None: ...

class IssueCertificateRequest(_message.Message):
    __slots__ = ("backend_id", "ip_addresses", "dns_names", "ttl", "csr_pem")
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    DNS_NAMES_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    backend_id: str
    ip_addresses: _containers.RepeatedScalarFieldContainer[str]
    dns_names: _containers.RepeatedScalarFieldContainer[str]
    ttl: _duration_pb2.Duration
    csr_pem: str
    def __init__(self, backend_id: _Optional[str] = ..., ip_addresses: _Optional[_Iterable[str]] = ..., dns_names: _Optional[_Iterable[str]] = ..., ttl: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., csr_pem: _Optional[str] = ...) -> None: ...

class IssueCertificateResponse(_message.Message):
    __slots__ = ("certificate", "ca_pem", "cert_pem", "key_pem")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CA_PEM_FIELD_NUMBER: _ClassVar[int]
    CERT_PEM_FIELD_NUMBER: _ClassVar[int]
    KEY_PEM_FIELD_NUMBER: _ClassVar[int]
    certificate: Certificate
    ca_pem: str
    cert_pem: str
    key_pem: str
    def __init__(self, certificate: _Optional[_Union[Certificate, _Mapping]] = ..., ca_pem: _Optional[str] = ..., cert_pem: _Optional[str] = ..., key_pem: _Optional[str] = ...) -> None: ...

class GetCertificateRequest(_message.Message):
    __slots__ = ("serial_number",)
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    def __init__(self, serial_number: _Optional[str] = ...) -> None: ...

class GetCertificateResponse(_message.Message):
    __slots__ = ("certificate",)
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    certificate: Certificate
    def __init__(self, certificate: _Optional[_Union[Certificate, _Mapping]] = ...) -> None: ...

class ListCertificatesRequest(_message.Message):
    __slots__ = ("offset", "limit", "backend_id", "revoked")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BACKEND_ID_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    offset: int
    limit: int
    backend_id: str
    revoked: bool
    def __init__(self, offset: _Optional[int] = ..., limit: _Optional[int] = ..., backend_id: _Optional[str] = ..., revoked: _Optional[bool] = ...) -> None: ...

class ListCertificatesResponse(_message.Message):
    __slots__ = ("certificates", "total", "offset", "limit")
    CERTIFICATES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    certificates: _containers.RepeatedCompositeFieldContainer[Certificate]
    total: int
    offset: int
    limit: int
    def __init__(self, certificates: _Optional[_Iterable[_Union[Certificate, _Mapping]]] = ..., total: _Optional[int] = ..., offset: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class GetCertificateBundleRequest(_message.Message):
    __slots__ = ("serial_number",)
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    def __init__(self, serial_number: _Optional[str] = ...) -> None: ...

class GetCertificateBundleResponse(_message.Message):
    __slots__ = ("certificate", "ca_pem", "cert_pem", "key_pem")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CA_PEM_FIELD_NUMBER: _ClassVar[int]
    CERT_PEM_FIELD_NUMBER: _ClassVar[int]
    KEY_PEM_FIELD_NUMBER: _ClassVar[int]
    certificate: Certificate
    ca_pem: str
    cert_pem: str
    key_pem: str
    def __init__(self, certificate: _Optional[_Union[Certificate, _Mapping]] = ..., ca_pem: _Optional[str] = ..., cert_pem: _Optional[str] = ..., key_pem: _Optional[str] = ...) -> None: ...

class RenewCertificateRequest(_message.Message):
    __slots__ = ("serial_number",)
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    def __init__(self, serial_number: _Optional[str] = ...) -> None: ...

class RenewCertificateResponse(_message.Message):
    __slots__ = ("certificate", "ca_pem", "cert_pem", "key_pem")
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CA_PEM_FIELD_NUMBER: _ClassVar[int]
    CERT_PEM_FIELD_NUMBER: _ClassVar[int]
    KEY_PEM_FIELD_NUMBER: _ClassVar[int]
    certificate: Certificate
    ca_pem: str
    cert_pem: str
    key_pem: str
    def __init__(self, certificate: _Optional[_Union[Certificate, _Mapping]] = ..., ca_pem: _Optional[str] = ..., cert_pem: _Optional[str] = ..., key_pem: _Optional[str] = ...) -> None: ...

class RevokeCertificateRequest(_message.Message):
    __slots__ = ("serial_number", "reason")
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    serial_number: str
    reason: RevocationReason
    def __init__(self, serial_number: _Optional[str] = ..., reason: _Optional[_Union[RevocationReason, str]] = ...) -> None: ...

class RevokeCertificateResponse(_message.Message):
    __slots__ = ("certificate",)
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    certificate: Certificate
    def __init__(self, certificate: _Optional[_Union[Certificate, _Mapping]] = ...) -> None: ...

class GetCrlRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCrlResponse(_message.Message):
    __slots__ = ("crl_pem",)
    CRL_PEM_FIELD_NUMBER: _ClassVar[int]
    crl_pem: str
    def __init__(self, crl_pem: _Optional[str] = ...) -> None: ...
