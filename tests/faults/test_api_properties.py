"""Property-based tests: every management RPC gives a defined status for any input, never INTERNAL or UNKNOWN.

All tests of this module share one daemon. Each example is one blocking call
with the admin token, so the inputs reach validation and the store.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2, field_mask_pb2, timestamp_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backendsd.proto.backendsd.v1 import backends_pb2, backends_pb2_grpc, certs_pb2, certs_pb2_grpc
from backendsd.proto.backendsd.v1 import computations_pb2, computations_pb2_grpc
from backendsd.proto.manager import manager_pb2
from tests.faults.conftest import admin_metadata
from tests.helpers.daemon import DaemonProcess

# Codes that mean the daemon failed, not the client.
SERVER_FAULTS = frozenset({grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN})
CALL_TIMEOUT_SECONDS = 20.0

EXAMPLES = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

UINT32 = st.integers(min_value=0, max_value=2**32 - 1)
INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)
# Every code point except surrogates, which protobuf strings cannot carry.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
CONTROL_TEXT = st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs"]), max_size=20)
LONG_TEXT = st.integers(min_value=0, max_value=5000).map(lambda n: "n" * n)
NAMES = st.one_of(ANY_TEXT, CONTROL_TEXT, LONG_TEXT, st.sampled_from(["edge", " edge ", "e\u0301dge", "\u3164"]))


def _ipv6_forms(address: ipaddress.IPv6Address) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [address.compressed, address.exploded, f"[{address.compressed}]", f"[{address}]:7001", f"{address}%eth0"]
    )


def _ipv4_forms(address: ipaddress.IPv4Address) -> st.SearchStrategy[str]:
    octets = str(address).split(".")
    return st.sampled_from(
        [
            str(address),
            f"{address}:7001",
            f"{address}/24",
            f"{address}.",
            ".".join(f"0{octet}" for octet in octets),
            str(int(address)),
            hex(int(address)),
            f"::ffff:{address}",
        ]
    )


DNS_LABELS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)
IDN_LABELS = st.text(st.characters(categories=["Ll", "Lo"]), min_size=1, max_size=10)
HOST_NAMES = st.lists(st.one_of(DNS_LABELS, IDN_LABELS), min_size=1, max_size=5).flatmap(
    lambda labels: st.sampled_from([".".join(labels), ".".join(labels) + ".", ".".join(labels) + ":80"])
)
ADDRESSES = st.one_of(
    st.ip_addresses(v=4).flatmap(_ipv4_forms),
    st.ip_addresses(v=6).flatmap(_ipv6_forms),
    st.ip_addresses(v=4, network="127.0.0.0/8").map(str),
    HOST_NAMES,
    ANY_TEXT,
    st.from_regex(r"\d{1,4}(\.\d{1,4}){0,4}", fullmatch=True),
    st.sampled_from(["0.0.0.0", "::", "255.255.255.255", "224.0.0.1", "ff02::1", "10.0.0.0/8", "[::1]", "a..b"]),
)
IDS = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: "{" + str(u) + "}"),
    st.uuids().map(lambda u: "urn:uuid:" + str(u)),
    ANY_TEXT,
)
SERIALS = st.one_of(
    st.integers(min_value=-(2**200), max_value=2**200).map(str),
    st.integers(min_value=0, max_value=2**160).map(hex),
    ANY_TEXT,
)
MASK_PATHS = st.lists(
    st.one_of(st.sampled_from(["name", "description", "address", "id", "created_at", "", "name.x"]), ANY_TEXT),
    max_size=12,
)
DURATIONS = st.builds(
    duration_pb2.Duration,
    seconds=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    nanos=INT32,
)
TIMESTAMPS = st.builds(
    timestamp_pb2.Timestamp,
    seconds=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    nanos=INT32,
)
OPTIONAL_DURATIONS = st.one_of(st.none(), DURATIONS)
OPTIONAL_TIMESTAMPS = st.one_of(st.none(), TIMESTAMPS)
STRING_LISTS = st.lists(st.one_of(ADDRESSES, ANY_TEXT), max_size=12)


def call_code(method: Callable[..., Any], daemon: DaemonProcess, request: Any) -> grpc.StatusCode:
    """Call a unary method with the admin token and return the status code."""
    try:
        method(request, metadata=admin_metadata(daemon), timeout=CALL_TIMEOUT_SECONDS)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def stream_code(method: Callable[..., Any], daemon: DaemonProcess, request: Any) -> grpc.StatusCode:
    """Open a server stream and return its status: a valid watch runs until the short deadline."""
    try:
        for _ in method(request, metadata=admin_metadata(daemon), timeout=0.3):
            pass
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def assert_defined(code: grpc.StatusCode, request: Any) -> None:
    assert code not in SERVER_FAULTS, f"{code.name} for {type(request).__name__}: {request!r}"


def with_optional(message: Any, field: str, value: Any) -> Any:
    if value is not None:
        getattr(message, field).CopyFrom(value)
    return message


@pytest.fixture(scope="module")
def backends(blocking_channel: grpc.Channel) -> backends_pb2_grpc.BackendsStub:
    return backends_pb2_grpc.BackendsStub(blocking_channel)


@pytest.fixture(scope="module")
def certs(blocking_channel: grpc.Channel) -> certs_pb2_grpc.CertsStub:
    return certs_pb2_grpc.CertsStub(blocking_channel)


@pytest.fixture(scope="module")
def computations(blocking_channel: grpc.Channel) -> computations_pb2_grpc.ComputationsStub:
    return computations_pb2_grpc.ComputationsStub(blocking_channel)


@pytest.fixture(scope="module")
def known_backend_id(shared_daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub) -> str:
    """A backend that exists, so that ids also reach the code behind the existence check."""
    request = backends_pb2.CreateBackendRequest(name="known", address="192.0.2.1")
    return str(backends.CreateBackend(request, metadata=admin_metadata(shared_daemon)).backend.id)


@pytest.fixture(scope="module")
def known_serial(
    shared_daemon: DaemonProcess, certs: certs_pb2_grpc.CertsStub, known_backend_id: str
) -> str:
    request = certs_pb2.IssueCertificateRequest(backend_id=known_backend_id)
    return str(certs.IssueCertificate(request, metadata=admin_metadata(shared_daemon)).certificate.serial_number)


def ids_or(known: str) -> st.SearchStrategy[str]:
    return st.one_of(IDS, st.just(known), st.just(known.upper()))


@EXAMPLES
@given(name=NAMES, description=st.one_of(ANY_TEXT, LONG_TEXT), address=ADDRESSES)
def test_create_backend_any_input(
    shared_daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub, name: str, description: str, address: str
) -> None:
    request = backends_pb2.CreateBackendRequest(name=name, description=description, address=address)
    assert_defined(call_code(backends.CreateBackend, shared_daemon, request), request)


@EXAMPLES
@given(data=st.data(), name=NAMES, description=ANY_TEXT, address=ADDRESSES, paths=st.one_of(st.none(), MASK_PATHS))
def test_update_backend_any_input(
    shared_daemon: DaemonProcess,
    backends: backends_pb2_grpc.BackendsStub,
    known_backend_id: str,
    data: st.DataObject,
    name: str,
    description: str,
    address: str,
    paths: list[str] | None,
) -> None:
    request = backends_pb2.UpdateBackendRequest(
        id=data.draw(ids_or(known_backend_id)), name=name, description=description, address=address
    )
    if paths is not None:
        request.update_mask.CopyFrom(field_mask_pb2.FieldMask(paths=paths))
    assert_defined(call_code(backends.UpdateBackend, shared_daemon, request), request)


@EXAMPLES
@given(data=st.data(), method=st.sampled_from(["GetBackend", "DeleteBackend"]))
def test_get_delete_backend_any_id(
    shared_daemon: DaemonProcess,
    backends: backends_pb2_grpc.BackendsStub,
    known_backend_id: str,
    data: st.DataObject,
    method: str,
) -> None:
    # Deleting the known backend would change what later examples see.
    backend_id = data.draw(ids_or(known_backend_id) if method == "GetBackend" else IDS)
    request_type = backends_pb2.GetBackendRequest if method == "GetBackend" else backends_pb2.DeleteBackendRequest
    request = request_type(id=backend_id)
    assert_defined(call_code(getattr(backends, method), shared_daemon, request), request)


@EXAMPLES
@given(
    offset=UINT32,
    limit=UINT32,
    name=NAMES,
    address=ADDRESSES,
    order_by=st.one_of(st.sampled_from(["", "name", "created_at", "address", "id", "name desc"]), ANY_TEXT),
    descending=st.booleans(),
    status=INT32,
)
def test_list_backends_any_paging(
    shared_daemon: DaemonProcess,
    backends: backends_pb2_grpc.BackendsStub,
    offset: int,
    limit: int,
    name: str,
    address: str,
    order_by: str,
    descending: bool,
    status: int,
) -> None:
    request = backends_pb2.ListBackendsRequest(
        offset=offset, limit=limit, name=name, address=address, order_by=order_by, descending=descending, status=status
    )
    assert_defined(call_code(backends.ListBackends, shared_daemon, request), request)


@EXAMPLES
@given(data=st.data(), offset=UINT32, limit=UINT32)
def test_list_history_any_paging(
    shared_daemon: DaemonProcess,
    backends: backends_pb2_grpc.BackendsStub,
    known_backend_id: str,
    data: st.DataObject,
    offset: int,
    limit: int,
) -> None:
    request = backends_pb2.ListBackendHistoryRequest(
        backend_id=data.draw(ids_or(known_backend_id)), offset=offset, limit=limit
    )
    assert_defined(call_code(backends.ListBackendHistory, shared_daemon, request), request)


@EXAMPLES
@given(data=st.data(), termination=INT32)
def test_terminate_any_input(
    shared_daemon: DaemonProcess,
    backends: backends_pb2_grpc.BackendsStub,
    known_backend_id: str,
    data: st.DataObject,
    termination: int,
) -> None:
    request = backends_pb2.TerminateBackendRequest(id=data.draw(ids_or(known_backend_id)), type=termination)
    assert_defined(call_code(backends.TerminateBackend, shared_daemon, request), request)


@EXAMPLES
@given(
    data=st.data(),
    method=st.sampled_from(["FetchAttestationPolicy", "FetchSvmInfo"]),
    timeout=OPTIONAL_DURATIONS,
)
def test_fetch_any_input(
    shared_daemon: DaemonProcess,
    backends: backends_pb2_grpc.BackendsStub,
    known_backend_id: str,
    data: st.DataObject,
    method: str,
    timeout: duration_pb2.Duration | None,
) -> None:
    request_type = getattr(backends_pb2, f"{method}Request")
    request = with_optional(request_type(backend_id=data.draw(ids_or(known_backend_id))), "timeout", timeout)
    assert_defined(call_code(getattr(backends, method), shared_daemon, request), request)


@settings(EXAMPLES, max_examples=40)
@given(statuses=st.lists(INT32, max_size=5), backend_ids=st.lists(IDS, max_size=5))
def test_watch_backends_any_filter(
    shared_daemon: DaemonProcess, backends: backends_pb2_grpc.BackendsStub, statuses: list[int], backend_ids: list[str]
) -> None:
    request = backends_pb2.WatchBackendsRequest(statuses=statuses, backend_ids=backend_ids)
    assert_defined(stream_code(backends.WatchBackends, shared_daemon, request), request)


@EXAMPLES
@given(
    data=st.data(),
    ip_addresses=STRING_LISTS,
    dns_names=STRING_LISTS,
    ttl=OPTIONAL_DURATIONS,
    csr_pem=st.one_of(st.just(""), ANY_TEXT, st.just("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")),
)
def test_issue_certificate_any_input(
    shared_daemon: DaemonProcess,
    certs: certs_pb2_grpc.CertsStub,
    known_backend_id: str,
    data: st.DataObject,
    ip_addresses: list[str],
    dns_names: list[str],
    ttl: duration_pb2.Duration | None,
    csr_pem: str,
) -> None:
    request = certs_pb2.IssueCertificateRequest(
        backend_id=data.draw(ids_or(known_backend_id)), ip_addresses=ip_addresses, dns_names=dns_names, csr_pem=csr_pem
    )
    request = with_optional(request, "ttl", ttl)
    assert_defined(call_code(certs.IssueCertificate, shared_daemon, request), request)


@EXAMPLES
@given(data=st.data(), method=st.sampled_from(["GetCertificate", "GetCertificateBundle", "RenewCertificate"]))
def test_certificate_by_serial_any_input(
    shared_daemon: DaemonProcess, certs: certs_pb2_grpc.CertsStub, known_serial: str, data: st.DataObject, method: str
) -> None:
    request = getattr(certs_pb2, f"{method}Request")(serial_number=data.draw(st.one_of(SERIALS, st.just(known_serial))))
    assert_defined(call_code(getattr(certs, method), shared_daemon, request), request)


@EXAMPLES
@given(serial=SERIALS, reason=INT32)
def test_revoke_any_input(
    shared_daemon: DaemonProcess, certs: certs_pb2_grpc.CertsStub, serial: str, reason: int
) -> None:
    request = certs_pb2.RevokeCertificateRequest(serial_number=serial, reason=reason)
    assert_defined(call_code(certs.RevokeCertificate, shared_daemon, request), request)


@EXAMPLES
@given(data=st.data(), offset=UINT32, limit=UINT32, revoked=st.one_of(st.none(), st.booleans()))
def test_list_certificates_any_paging(
    shared_daemon: DaemonProcess,
    certs: certs_pb2_grpc.CertsStub,
    known_backend_id: str,
    data: st.DataObject,
    offset: int,
    limit: int,
    revoked: bool | None,
) -> None:
    backend_id = data.draw(st.one_of(st.just(""), ids_or(known_backend_id)))
    request = certs_pb2.ListCertificatesRequest(offset=offset, limit=limit, backend_id=backend_id)
    if revoked is not None:
        request.revoked = revoked
    assert_defined(call_code(certs.ListCertificates, shared_daemon, request), request)


@EXAMPLES
@given(
    data=st.data(),
    computation_id=st.one_of(ANY_TEXT, LONG_TEXT),
    name=ANY_TEXT,
    port=ANY_TEXT,
    timeout=OPTIONAL_DURATIONS,
)
def test_run_computation_any_input(
    shared_daemon: DaemonProcess,
    computations: computations_pb2_grpc.ComputationsStub,
    known_backend_id: str,
    data: st.DataObject,
    computation_id: str,
    name: str,
    port: str,
    timeout: duration_pb2.Duration | None,
) -> None:
    run_request = manager_pb2.ComputationRunReq(
        id=computation_id, name=name, agent_config=manager_pb2.AgentConfig(port=port)
    )
    request = computations_pb2.RunComputationRequest(
        backend_id=data.draw(ids_or(known_backend_id)), run_request=run_request
    )
    request = with_optional(request, "timeout", timeout)
    assert_defined(call_code(computations.RunComputation, shared_daemon, request), request)


@EXAMPLES
@given(data=st.data(), computation_id=st.one_of(ANY_TEXT, LONG_TEXT), timeout=OPTIONAL_DURATIONS)
def test_stop_computation_any_input(
    shared_daemon: DaemonProcess,
    computations: computations_pb2_grpc.ComputationsStub,
    known_backend_id: str,
    data: st.DataObject,
    computation_id: str,
    timeout: duration_pb2.Duration | None,
) -> None:
    request = computations_pb2.StopComputationRequest(
        backend_id=data.draw(ids_or(known_backend_id)), computation_id=computation_id
    )
    request = with_optional(request, "timeout", timeout)
    assert_defined(call_code(computations.StopComputation, shared_daemon, request), request)


@EXAMPLES
@given(
    data=st.data(),
    method=st.sampled_from(["ListAgentLogs", "ListAgentEvents"]),
    computation_id=ANY_TEXT,
    kind=ANY_TEXT,
    since=OPTIONAL_TIMESTAMPS,
    until=OPTIONAL_TIMESTAMPS,
    offset=UINT32,
    limit=UINT32,
)
def test_list_agent_records_any_filter(
    shared_daemon: DaemonProcess,
    computations: computations_pb2_grpc.ComputationsStub,
    known_backend_id: str,
    data: st.DataObject,
    method: str,
    computation_id: str,
    kind: str,
    since: timestamp_pb2.Timestamp | None,
    until: timestamp_pb2.Timestamp | None,
    offset: int,
    limit: int,
) -> None:
    backend_id = data.draw(st.one_of(st.just(""), ids_or(known_backend_id)))
    if method == "ListAgentLogs":
        request: Any = computations_pb2.ListAgentLogsRequest(
            backend_id=backend_id, computation_id=computation_id, level=kind, offset=offset, limit=limit
        )
    else:
        request = computations_pb2.ListAgentEventsRequest(
            backend_id=backend_id, computation_id=computation_id, event_type=kind, offset=offset, limit=limit
        )
    request = with_optional(with_optional(request, "since", since), "until", until)
    assert_defined(call_code(getattr(computations, method), shared_daemon, request), request)


@settings(EXAMPLES, max_examples=40)
@given(backend_ids=st.lists(IDS, max_size=5), computation_id=ANY_TEXT)
def test_watch_agent_events_any_filter(
    shared_daemon: DaemonProcess,
    computations: computations_pb2_grpc.ComputationsStub,
    backend_ids: list[str],
    computation_id: str,
) -> None:
    request = computations_pb2.WatchAgentEventsRequest(backend_ids=backend_ids, computation_id=computation_id)
    assert_defined(stream_code(computations.WatchAgentEvents, shared_daemon, request), request)


def test_no_rpc_failed_logged(shared_daemon: DaemonProcess) -> None:
    """No example above made the daemon log an unexpected exception; runs last in this module."""
    failures = shared_daemon.events("rpc_failed")
    assert failures == [], failures[:3]


def test_every_method_covered() -> None:
    """Each management RPC has a property test here, so a new RPC cannot go untested by accident."""
    covered = {
        "CreateBackend", "UpdateBackend", "GetBackend", "DeleteBackend", "ListBackends", "ListBackendHistory",
        "TerminateBackend", "FetchAttestationPolicy", "FetchSvmInfo", "WatchBackends",
        "IssueCertificate", "GetCertificate", "GetCertificateBundle", "RenewCertificate", "RevokeCertificate",
        "ListCertificates", "GetCrl",
        "RunComputation", "StopComputation", "ListAgentLogs", "ListAgentEvents", "WatchAgentEvents",
    }  # fmt: skip
    methods = {
        method.name
        for module in (backends_pb2, certs_pb2, computations_pb2)
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }
    assert methods - covered == set()


def test_get_crl_takes_no_input(shared_daemon: DaemonProcess, certs: certs_pb2_grpc.CertsStub) -> None:
    """GetCrl has no fields; unknown fields in its request are ignored."""
    assert call_code(certs.GetCrl, shared_daemon, certs_pb2.GetCrlRequest()) == grpc.StatusCode.OK


