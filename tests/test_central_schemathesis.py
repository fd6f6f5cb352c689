"""The central server fuzzed from its own OpenAPI document (schemathesis): every operation,
called over HTTP on loopback as an enrolled back-office device, with data that fits the
schema and data that does not. Bad input must get a 4xx in the server's error shape, never a
server error, and every answer must match what the document says (status code, body schema,
headers, content type) — schemathesis's full set of checks, not only ``not_a_server_error``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldsupport.central.app import create_app
from fieldsupport.central.server import BackgroundServer, open_service
from fieldsupport.central.service import CentralService
from fieldsupport.sync import wire
from tests import sync_helpers
from tests.sync_helpers import PASSWORD

# the shared fixture (SQLite, and PostgreSQL when reachable), under its name
central = sync_helpers.central

DEVICE_ID = "0f3c2f7e-9a51-4c1e-8d7b-3f2a9c6e1b04"


def _document() -> dict[str, Any]:
    """The OpenAPI document the server serves (it does not depend on the data)."""
    service = open_service("sqlite://", Path("unused-blobs"))
    try:
        return create_app(service).openapi()
    finally:
        service.engine.dispose()


DOCUMENT = _document()
# The protocol's answers to bad requests (docs/sync-protocol.md, section 2): 426 for a missing
# or unknown protocol header, 413 for sizes over the limits, besides the usual 4xx.
REFUSALS = ["400", "401", "403", "404", "409", "413", "422", "426"]
# Well-formed requests these operations refuse on meaning or on a configured limit, with a
# reason: a blob whose bytes go beyond its declared size or do not match its hash (422), a
# blob over the server's size limit (413); a report returned without saying why (422). (Push
# answers such operations inside its 200, one result per operation.)
ACCEPTED = ["2xx", "401", "403", "404", "409"]
REFUSED_ON_MEANING = {
    ("/v1/blobs/{sha256}", "PUT"): ["413", "422"],
    ("/v1/backoffice/reports/{report_id}/decision", "POST"): ["422"],
}
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "missing_required_header": {"expected-statuses": ["401", "426"]},
            "negative_data_rejection": {"expected-statuses": REFUSALS},
            "positive_data_acceptance": {"expected-statuses": ACCEPTED},
        },
        "operations": [
            {
                "include-path": path,
                "include-method": method,
                "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED + extra}},
            }
            for (path, method), extra in REFUSED_ON_MEANING.items()
        ],
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@schema.auth(refresh_interval=None)
class DeviceToken:
    """The current test's device token, sent as schemathesis's authentication (so that its
    own cases without a token stay without one)."""

    token: ClassVar[str] = ""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return DeviceToken.token

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def served(central: CentralService) -> Iterator[str]:
    """The server on loopback, with an enrolled back-office device."""
    DeviceToken.token, _who = central.accounts.enrol("bo", PASSWORD, DEVICE_ID, "fuzzer")
    try:
        with BackgroundServer(central) as server:
            yield server.url
    finally:
        DeviceToken.token = ""


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_error_and_answers_match_the_document(
    case: schemathesis.Case, served: str
) -> None:
    case.call_and_validate(base_url=served)


def test_the_fuzzed_document_is_the_served_one(served: str) -> None:
    assert httpx.get(f"{served}/openapi.json").json() == DOCUMENT


# -- push with real record types ------------------------------------------------------------------
# The document cannot say which record types and fields exist, so the fuzzer above mostly
# meets "unknown record type". Here the operations name real types and real fields, with
# values of every JSON kind, plausible and not.

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
PLAUSIBLE = {
    "datetime": st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
        lambda d: d.isoformat()
    ),
    "date": st.dates().map(str),
    "int": st.integers(-(2**60), 2**60),
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "bool": st.booleans(),
}
RECORD_TYPES = sorted(wire.record_types())


@st.composite
def operations(draw: st.DrawFn) -> dict[str, Any]:
    rtype = wire.record_types()[draw(st.sampled_from(RECORD_TYPES))]
    names = draw(st.lists(st.sampled_from(sorted(rtype.fields)), unique=True, max_size=6))
    fields = {}
    for name in names:
        spec = rtype.fields[name]
        plausible = PLAUSIBLE.get(spec.kind)
        if spec.enum_values:
            plausible = st.sampled_from(sorted(spec.enum_values))
        elif plausible is None:
            plausible = st.text(max_size=(spec.max_length or 200) + 5)
        fields[name] = draw(plausible | JSON_VALUES)
    return {
        "kind": draw(st.sampled_from(["upsert", "upsert", "resolve"])),
        "t": rtype.name,
        "id": str(draw(st.uuids())),
        "base": draw(st.sampled_from([0, 0, 1, 7])),
        "fields": fields,
    }


@dataclass
class FuzzDevice:
    client: httpx.Client
    last_seq: int = 0


@pytest.fixture
def fuzz_device(served: str) -> Iterator[FuzzDevice]:
    headers = {"Authorization": f"Bearer {DeviceToken.token}", wire.PROTOCOL_HEADER: "1"}
    with httpx.Client(base_url=served, headers=headers) as client:
        yield FuzzDevice(client)


def _strict_json(body: bytes) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(body, parse_constant=refuse)


@pytest.mark.slow
@given(ops=st.lists(operations(), min_size=1, max_size=4))
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_push_of_real_types_with_any_values_is_answered_per_operation(
    ops: list[dict[str, Any]], fuzz_device: FuzzDevice
) -> None:
    for number, op in enumerate(ops, start=fuzz_device.last_seq + 1):
        # fresh each call: hypothesis replays examples, a repeated op_id is a retry
        op["seq"], op["op_id"] = number, str(uuid.uuid4())
    reply = fuzz_device.client.post("/v1/push", json={"ops": ops})
    assert reply.status_code in (200, 422), reply.text
    body = _strict_json(reply.content)
    if reply.status_code == 422:  # unstorable text: refused whole, with the place named
        assert body["error"] == "invalid_request" and body["detail"], body
        return
    for result in body["results"]:
        assert result["status"] in ("applied", "conflict", "rejected", "retry"), result
        if result["status"] in ("rejected", "retry"):
            assert isinstance(result["reason"], str) and result["reason"], result
        if result["status"] in ("applied", "conflict", "rejected"):
            fuzz_device.last_seq = result["seq"]
    # whatever was stored, every device can still read it back as JSON
    page = fuzz_device.client.get("/v1/pull", params={"cursor": 0, "limit": 5000})
    assert page.status_code == 200
    _strict_json(page.content)
