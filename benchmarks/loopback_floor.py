"""The floor under any upload protocol on this machine: files sent over loopback TCP from one
process to another, which verifies each one's SHA-256 and makes it durable under its name
(write, fsync, rename, folder fsync) with the server's own file writer
(``store.durable.write_new_file``: past the page cache where the file system allows), as the
central server must (docs/sync-protocol.md, section 9). No HTTP, no database, no
per-request work: what is left between this and ``sync_upload_rate`` is what the protocol
and its Python stacks cost.

``python benchmarks/loopback_floor.py FOLDER_OF_FILES [--parallel N]`` prints MB/s;
``benchmarks/sync.py`` reports it beside the upload (``sync_upload_vs_loopback_floor``).
Both sides take the same parallelism as the sync client's uploads (two at a time).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fieldsupport.store.durable import write_new_file

PARALLEL = 2  # as sync.blobs.BlobTransfer: two uploads at once


def _receive_one(conn: socket.socket, folder: Path) -> bool:
    head = conn.recv(40, socket.MSG_WAITALL)  # size (8 bytes) + SHA-256 (32 bytes)
    if len(head) < 40:
        return False
    size, digest = int.from_bytes(head[:8], "big"), head[8:]
    buffer = bytearray(size)
    view = memoryview(buffer)
    received = 0
    while received < size:
        count = conn.recv_into(view[received:], size - received)
        if not count:
            return False
        received += count
    if hashlib.sha256(buffer).digest() != digest:
        conn.sendall(b"x")
        return True
    name = digest.hex()
    temporary = folder / f"{name}.part"
    write_new_file(temporary, [buffer])  # as the server writes a blob
    os.replace(temporary, folder / name)
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
    conn.sendall(b"k")
    return True


def _serve(folder: Path) -> None:
    """Receiver process: prints its port, then takes connections until killed."""
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)

    def handle(conn: socket.socket) -> None:
        with conn:
            while _receive_one(conn, folder):
                pass

    while True:
        conn, _address = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def floor_seconds(files: list[Path], parallel: int = PARALLEL) -> float:
    """Seconds to send ``files`` to a receiver process that verifies and stores each."""
    with tempfile.TemporaryDirectory(prefix="loopback-floor-", dir=files[0].parent) as tmp:
        receiver = subprocess.Popen(
            [sys.executable, __file__, "--receive", tmp], stdout=subprocess.PIPE, text=True
        )
        try:
            assert receiver.stdout is not None
            port = int(receiver.stdout.readline())
            connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(parallel)]

            # the device knows each blob's hash already (it is the blob's name)
            digests = {path: hashlib.sha256(path.read_bytes()).digest() for path in files}

            def send(index: int) -> None:
                conn = connections[index]
                for path in files[index::parallel]:
                    data = path.read_bytes()
                    conn.sendall(len(data).to_bytes(8, "big") + digests[path] + data)
                    if conn.recv(1) != b"k":
                        raise SystemExit(f"the receiver refused {path.name}")

            started = time.perf_counter()
            with ThreadPoolExecutor(parallel) as pool:
                list(pool.map(send, range(parallel)))
            seconds = time.perf_counter() - started
            for conn in connections:
                conn.close()
            return seconds
        finally:
            receiver.kill()
            receiver.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--parallel", type=int, default=PARALLEL)
    parser.add_argument("--receive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        _serve(args.folder)
        return 0
    files = sorted(p for p in args.folder.iterdir() if p.is_file())
    total = sum(p.stat().st_size for p in files)
    seconds = floor_seconds(files, args.parallel)
    print(f"loopback_floor_rate: {total / 1e6 / seconds:,.4g} MB/s ({len(files)} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
