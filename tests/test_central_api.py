"""The central server's HTTP API on loopback: authentication with reasons, protocol version,
limits and validation (never a 500), resumable verified blob uploads."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fieldsupport.central.blobs import BlobError
from fieldsupport.central.server import BackgroundServer
from fieldsupport.central.service import CentralService, Limits
from fieldsupport.sync import wire
from tests.fs_helpers import tmpfs
from tests.sync_helpers import BACKENDS, PASSWORD, drop_service, make_service

HEADERS = {wire.PROTOCOL_HEADER: "1"}
T = "2026-03-02T09:00:00+00:00"


@pytest.fixture(params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[CentralService, str]]:
    limits = Limits(request_bytes=256 * 1024, blob_bytes=1024 * 1024)
    service, schema = make_service(request.param, tmp_path, limits)
    service.accounts.add_user("anna", PASSWORD, "engineer", team="north")
    try:
        with BackgroundServer(service) as server:
            yield service, server.url
    finally:
        drop_service(service, schema)


def _enrol(url: str, device_id: str | None = None) -> tuple[str, str]:
    device_id = device_id or str(uuid.uuid4())
    reply = httpx.post(
        f"{url}/v1/devices",
        headers=HEADERS,
        json={
            "username": "anna",
            "password": PASSWORD,
            "device_id": device_id,
            "device_name": "laptop",
        },
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["token"], device_id


def _auth(token: str) -> dict[str, str]:
    return {**HEADERS, "Authorization": f"Bearer {token}"}


def test_tokens_are_checked_with_a_reason(api: tuple[CentralService, str]) -> None:
    service, url = api
    wrong = httpx.post(
        f"{url}/v1/devices",
        headers=HEADERS,
        json={
            "username": "anna",
            "password": "nope",
            "device_id": str(uuid.uuid4()),
            "device_name": "x",
        },
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "bad_credentials"
    assert httpx.get(f"{url}/v1/whoami", headers=HEADERS).json()["error"] == "token_missing"
    unknown = httpx.get(f"{url}/v1/whoami", headers=_auth("made-up"))
    assert unknown.status_code == 401 and unknown.json()["error"] == "token_unknown"
    token, device_id = _enrol(url)
    assert httpx.get(f"{url}/v1/whoami", headers=_auth(token)).json()["username"] == "anna"
    service.accounts.revoke(device_id)
    revoked = httpx.get(f"{url}/v1/whoami", headers=_auth(token))
    assert revoked.status_code == 401 and revoked.json()["error"] == "device_revoked"
    assert "connect it again" in revoked.json()["message"]
    fresh, _ = _enrol(url, device_id)  # enrolling again gives a working token
    assert httpx.get(f"{url}/v1/whoami", headers=_auth(fresh)).status_code == 200
    service.accounts.set_disabled("anna")
    disabled = httpx.get(f"{url}/v1/whoami", headers=_auth(fresh))
    assert disabled.status_code == 401 and disabled.json()["error"] == "account_disabled"


def test_wrong_protocol_is_told_to_update(api: tuple[CentralService, str]) -> None:
    _service, url = api
    token, _ = _enrol(url)
    for version in (None, "0", "99", "garbage"):
        headers = {"Authorization": f"Bearer {token}"}
        if version is not None:
            headers[wire.PROTOCOL_HEADER] = version
        reply = httpx.get(f"{url}/v1/pull", headers=headers)
        assert reply.status_code == 426
        assert "please update" in reply.json()["message"]
    assert httpx.get(f"{url}/v1/meta").json()["protocols"] == [1]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"{not json", "body"),
        (b'{"ops": "many"}', "ops"),
        (b'{"ops": [], "extra": 1}', "extra"),
        (
            b'{"ops": [{"op_id": "x", "seq": 1, "kind": "upsert", "t": "cases", "id": "y", '
            b'"base": 0, "fields": {}}]}',
            "op_id",
        ),
    ],
)
def test_malformed_push_gets_422_with_the_field(
    api: tuple[CentralService, str], body: bytes, where: str
) -> None:
    _service, url = api
    token, _ = _enrol(url)
    reply = httpx.post(
        f"{url}/v1/push",
        headers={**_auth(token), "Content-Type": "application/json"},
        content=body,
    )
    assert reply.status_code == 422
    assert where in reply.text and reply.json()["error"] == "invalid_request"


def test_bad_values_are_rejected_per_operation_with_the_field(
    api: tuple[CentralService, str],
) -> None:
    _service, url = api
    token, _ = _enrol(url)

    def op(seq: int, fields: dict[str, object], t: str = "customers") -> dict[str, object]:
        return {
            "op_id": str(uuid.uuid4()),
            "seq": seq,
            "kind": "upsert",
            "t": t,
            "id": str(uuid.uuid4()),
            "base": 0,
            "fields": fields,
        }

    ops = [
        op(1, {"name": "x" * 5000}),
        op(2, {"name": 42}),
        op(3, {"name": "ok", "colour": "red"}),
        op(4, {"name": "Odra"}, t="no_such_type"),
        op(5, {"name": "Odra", "created_at": "yesterday"}),
        op(6, {"name": "Odra S.A.", "created_at": T, "updated_at": T}),
    ]
    reply = httpx.post(f"{url}/v1/push", headers=_auth(token), json={"ops": ops})
    assert reply.status_code == 200
    results = reply.json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 5 + ["applied"]
    assert [r.get("field") for r in results[:5]] == ["name", "name", "colour", "t", "created_at"]
    assert "longer than 200" in results[0]["reason"]


def test_request_size_limit_gives_413(api: tuple[CentralService, str]) -> None:
    _service, url = api
    token, _ = _enrol(url)
    reply = httpx.post(
        f"{url}/v1/push",
        headers={**_auth(token), "Content-Type": "application/json"},
        content=b'{"ops": [' + b" " * 300_000 + b"]}",
    )
    assert reply.status_code == 413 and reply.json()["error"] == "too_large"
    assert httpx.get(f"{url}/v1/meta").status_code == 200  # still serving


def test_two_uploads_of_one_blob_in_pieces_both_end_complete(
    api: tuple[CentralService, str],
) -> None:
    """Two devices send the same file in pieces at once: when one has verified it and put it
    in place, the other's last piece finds no partial file left - that is "complete", not
    a server error (and an unverified rest is "continue from here")."""
    service, _url = api
    data = bytes(range(256)) * 800
    sha = hashlib.sha256(data).hexdigest()
    half = len(data) // 2
    assert not service.blobs.put(sha, 0, len(data), "image/jpeg", data[:half])["complete"]
    assert service.blobs.put(sha, half, len(data), "image/jpeg", data[half:])["complete"]
    # the other upload reaches its finishing step after that one
    assert service.blobs._finish(sha, len(data))["complete"]
    assert service.blobs.status(sha)["complete"]

    other = hashlib.sha256(b"y" * 1000).hexdigest()  # no partial file, nothing in place
    service.blobs.put(other, 0, 1000, "image/jpeg", b"y" * 400)
    service.blobs._partial(other).unlink()
    with pytest.raises(BlobError) as refused:
        service.blobs._finish(other, 1000)
    assert (refused.value.status, refused.value.extra["received"]) == (409, 0)


def test_blob_upload_resumes_and_is_verified(api: tuple[CentralService, str]) -> None:
    service, url = api
    token, _ = _enrol(url)
    data = bytes(range(256)) * 1000
    sha = hashlib.sha256(data).hexdigest()
    put = f"{url}/v1/blobs/{sha}"
    params = {"size": len(data), "media_type": "image/jpeg"}
    first = httpx.put(
        put, headers=_auth(token), params={**params, "offset": 0}, content=data[:100_000]
    )
    assert first.json() == {
        "sha256": sha,
        "size": len(data),
        "received": 100_000,
        "complete": False,
    }
    gap = httpx.put(
        put, headers=_auth(token), params={**params, "offset": 200_000}, content=data[200_000:]
    )
    assert gap.status_code == 409 and gap.json()["received"] == 100_000
    status = httpx.get(put, headers=_auth(token)).json()
    rest = httpx.put(
        put,
        headers=_auth(token),
        params={**params, "offset": status["received"]},
        content=data[status["received"] :],
    )
    assert rest.json()["complete"] is True
    assert service.blobs.path(sha).read_bytes() == data
    again = httpx.put(put, headers=_auth(token), params={**params, "offset": 0}, content=b"")
    assert again.json()["complete"] is True  # never needs sending twice
    fetched = httpx.get(f"{put}/content", headers=_auth(token))
    assert fetched.content == data
    # bytes that do not match their name are refused and do not count
    bad_sha = hashlib.sha256(b"something else").hexdigest()
    wrong = httpx.put(
        f"{url}/v1/blobs/{bad_sha}",
        headers=_auth(token),
        params={"size": 5, "offset": 0},
        content=b"hello",
    )
    assert wrong.status_code == 422 and wrong.json()["error"] == "hash_mismatch"
    # nothing of them is kept: the blob stays unknown
    assert httpx.get(f"{url}/v1/blobs/{bad_sha}", headers=_auth(token)).status_code == 404
    too_big = httpx.put(
        f"{url}/v1/blobs/{sha[::-1]}",
        headers=_auth(token),
        params={"size": 10**9, "offset": 0},
        content=b"x",
    )
    assert too_big.status_code in (413, 422)


def test_blob_statuses_in_one_request_and_photos_in_one_piece(
    api: tuple[CentralService, str],
) -> None:
    service, url = api
    token, _ = _enrol(url)
    whole, piece = b"a whole photo", bytes(range(256)) * 100
    whole_sha, piece_sha = hashlib.sha256(whole).hexdigest(), hashlib.sha256(piece).hexdigest()
    unknown = hashlib.sha256(b"never sent").hexdigest()
    sent = httpx.put(
        f"{url}/v1/blobs/{whole_sha}",
        headers=_auth(token),
        params={"size": len(whole), "offset": 0, "media_type": "image/jpeg"},
        content=whole,
    )
    assert sent.json()["complete"] is True and service.blobs.path(whole_sha).read_bytes() == whole
    assert not list((service.blobs.root / "partial").iterdir())  # no temporary file left
    httpx.put(
        f"{url}/v1/blobs/{piece_sha}",
        headers=_auth(token),
        params={"size": len(piece), "offset": 0},
        content=piece[:1000],
    )
    reply = httpx.post(
        f"{url}/v1/blob-statuses",
        headers=_auth(token),
        json={"sha256": [whole_sha, piece_sha, unknown]},
    )
    assert reply.json()["blobs"] == {
        whole_sha: {
            "sha256": whole_sha,
            "size": len(whole),
            "received": len(whole),
            "complete": True,
        },
        piece_sha: {"sha256": piece_sha, "size": len(piece), "received": 1000, "complete": False},
        unknown: None,
    }
    for bad in ({"sha256": ["not-a-sha"]}, {"sha256": [unknown] * 1001}, {"sha": []}):
        refused = httpx.post(f"{url}/v1/blob-statuses", headers=_auth(token), json=bad)
        assert refused.status_code == 422
    anonymous = httpx.post(f"{url}/v1/blob-statuses", headers=HEADERS, json={"sha256": []})
    assert anonymous.status_code == 401


def test_blob_download_resumes_from_any_partial_file(
    api: tuple[CentralService, str], tmp_path: Path
) -> None:
    """A device killed mid-download resumes: from a prefix, from a complete but unrenamed
    file (a range past the end would get 416), and from bytes that are not the blob."""
    from fieldsupport.media.blobstore import BlobStore
    from fieldsupport.sync.blobs import BlobTransfer
    from fieldsupport.sync.transport import HttpTransport
    from fieldsupport.tasks import TaskState

    _service, url = api
    token, _ = _enrol(url)
    data = bytes(range(256)) * 1000
    sha = hashlib.sha256(data).hexdigest()
    put = httpx.put(
        f"{url}/v1/blobs/{sha}",
        headers=_auth(token),
        params={"size": len(data), "media_type": "image/jpeg", "offset": 0},
        content=data,
    )
    assert put.json()["complete"] is True
    store = BlobStore(tmp_path / "device-blobs")
    requests: list[dict[str, str] | None] = []
    transport = HttpTransport(url, token)
    real_request = transport.request

    def counted(method: str, path: str, **kw: object) -> object:
        requests.append(kw.get("headers"))  # type: ignore[arg-type]
        return real_request(method, path, **kw)  # type: ignore[arg-type]

    transport.request = counted  # type: ignore[method-assign]
    transfer = BlobTransfer(transport, store, TaskState(), lambda _point: None, 64 * 1024)
    partial = store.root / "tmp" / f"download-{sha}"
    try:
        for kept, expected_requests in ((data[:100_000], 1), (data, 0), (b"x" * 300_000, 2)):
            partial.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(kept)
            store.original_path(sha).unlink(missing_ok=True)
            requests.clear()
            assert transfer.download(sha) is True
            assert store.original_path(sha).read_bytes() == data
            assert not partial.exists()
            assert len(requests) == expected_requests
        assert requests[0] == {"Range": "bytes=300000-"} and requests[1] is None
    finally:
        transport.close()


def test_full_server_disk_gives_507_and_keeps_nothing_half_written(
    api: tuple[CentralService, str],
) -> None:
    """A blob that does not fit on the server's disk (a real small tmpfs under the blobs
    folder) is answered 507 with what to do; no temporary file stays behind, the server
    goes on serving, and the same upload succeeds once there is room."""
    service, url = api
    token, _ = _enrol(url)
    root = service.blobs.root
    with tmpfs(root, size="2m"):
        filler = root / "filler.bin"
        stats = os.statvfs(root)
        filler.write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - 64 * 1024))
        data = os.urandom(200 * 1024)  # a whole blob of 200 kB where 64 kB are free
        sha = hashlib.sha256(data).hexdigest()
        params = {"size": len(data), "offset": 0, "media_type": "image/jpeg"}
        reply = httpx.put(
            f"{url}/v1/blobs/{sha}", headers=_auth(token), params=params, content=data
        )
        assert reply.status_code == 507, reply.text
        assert reply.json()["error"] == "server_disk_full"
        assert "disk is full" in reply.json()["message"]
        assert list((root / "partial").iterdir()) == []
        assert not service.blobs.path(sha).exists()
        assert httpx.get(f"{url}/v1/meta").status_code == 200  # still serving
        assert httpx.get(f"{url}/v1/blobs/{sha}", headers=_auth(token)).status_code == 404

        filler.unlink()
        again = httpx.put(
            f"{url}/v1/blobs/{sha}", headers=_auth(token), params=params, content=data
        )
        assert again.status_code == 200 and again.json()["complete"] is True
        assert service.blobs.path(sha).read_bytes() == data
