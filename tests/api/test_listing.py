"""ListBackends paging, filters and ordering."""

from __future__ import annotations

import grpc
import pytest

from backendsd.proto.backendsd.v1 import backends_pb2 as pb
from backendsd.proto.backendsd.v1 import backends_pb2_grpc
from tests.helpers.client import field_violations

Stub = backends_pb2_grpc.BackendsStub


async def create_many(stub: Stub, names: list[str]) -> list[pb.Backend]:
    created = []
    for index, name in enumerate(names):
        response = await stub.CreateBackend(pb.CreateBackendRequest(name=name, address=f"10.0.1.{index + 1}"))
        created.append(response.backend)
    return created


async def test_list_defaults_to_ten_oldest_first(backends: Stub) -> None:
    created = await create_many(backends, [f"edge-{i:02}" for i in range(12)])

    page = await backends.ListBackends(pb.ListBackendsRequest())

    assert page.total == 12
    assert page.limit == 10
    assert page.offset == 0
    assert [b.id for b in page.backends] == [b.id for b in created[:10]]


async def test_list_pages_cover_all_once(backends: Stub) -> None:
    """Walking the pages returns every backend exactly once, in order."""
    created = await create_many(backends, [f"edge-{i:02}" for i in range(7)])

    seen: list[str] = []
    for offset in range(0, 7, 3):
        page = await backends.ListBackends(pb.ListBackendsRequest(offset=offset, limit=3))
        assert page.total == 7
        seen += [b.id for b in page.backends]

    assert seen == [b.id for b in created]


async def test_list_offset_past_end_is_empty(backends: Stub) -> None:
    await create_many(backends, ["a", "b"])

    page = await backends.ListBackends(pb.ListBackendsRequest(offset=5))

    assert list(page.backends) == []
    assert page.total == 2


async def test_list_filters_by_name_substring(backends: Stub) -> None:
    """The name filter is a case-insensitive substring match, Unicode included."""
    await create_many(backends, ["Edge-Paris", "core-berlin", "EDGE-lyon", "Straße-1"])

    edge = await backends.ListBackends(pb.ListBackendsRequest(name="edge"))
    strasse = await backends.ListBackends(pb.ListBackendsRequest(name="STRASSE"))

    assert sorted(b.name for b in edge.backends) == ["EDGE-lyon", "Edge-Paris"]
    assert edge.total == 2
    assert [b.name for b in strasse.backends] == ["Straße-1"]


async def test_list_filters_by_normalized_address(backends: Stub) -> None:
    await backends.CreateBackend(pb.CreateBackendRequest(name="v6", address="2001:db8::7"))
    await backends.CreateBackend(pb.CreateBackendRequest(name="v4", address="10.9.9.9"))

    page = await backends.ListBackends(pb.ListBackendsRequest(address="2001:DB8:0::7"))

    assert [b.name for b in page.backends] == ["v6"]


async def test_list_orders_by_name_descending(backends: Stub) -> None:
    await create_many(backends, ["bravo", "Alpha", "charlie"])

    page = await backends.ListBackends(pb.ListBackendsRequest(order_by="name", descending=True))

    assert [b.name for b in page.backends] == ["charlie", "bravo", "Alpha"]


async def test_list_breaks_name_ties_by_id(backends: Stub) -> None:
    """Backends with equal names come in id order, so pages neither overlap nor skip."""
    created = await create_many(backends, ["same"] * 5)

    first = await backends.ListBackends(pb.ListBackendsRequest(order_by="name", limit=2))
    rest = await backends.ListBackends(pb.ListBackendsRequest(order_by="name", offset=2, limit=10))

    ids = [b.id for b in first.backends] + [b.id for b in rest.backends]
    assert ids == sorted(b.id for b in created)


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"order_by": "address"}, "order_by"),
        ({"address": "not an address"}, "address"),
    ],
)
async def test_list_rejects_invalid_argument(backends: Stub, request_fields: dict[str, object], field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await backends.ListBackends(pb.ListBackendsRequest(**request_fields))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in field_violations(caught.value)


async def test_list_accepts_maximum_limit(backends: Stub) -> None:
    page = await backends.ListBackends(pb.ListBackendsRequest(limit=100))

    assert page.limit == 100
