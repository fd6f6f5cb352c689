"""One real sync in a process of its own, for the kill tests (tests/test_sync_kill.py).

``python -m tests.sync_child --workspace PATH [--stop-at POINT --nth N]`` opens the workspace,
takes its stored server address and device token, and runs :class:`SyncClient` over HTTP
exactly as the app does. Every named point the client passes is announced on stdout
(``PASS <point>``); at the ``N``-th pass of ``--stop-at`` it announces ``AT <point>`` and waits
there, so the parent test can SIGKILL it at that precise moment. A finished sync prints
``DONE <report as JSON>``.

Batch sizes and the blob chunk size are set small, so that one sync crosses every point
several times (several push batches, several pull pages, several chunks per photo).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
from collections import Counter
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--stop-at", metavar="POINT", help="e.g. push.after_send")
    parser.add_argument("--nth", type=int, default=1, help="stop at the N-th pass of the point")
    parser.add_argument("--push-batch", type=int, default=10)
    parser.add_argument("--pull-page", type=int, default=25)
    parser.add_argument("--chunk-bytes", type=int, default=64 * 1024)
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--stream-bytes", type=int, help="pieces of a download (snapshots)")
    args = parser.parse_args(argv)

    from fieldsupport.sync import client as sync_client
    from fieldsupport.sync.session import open_transport
    from fieldsupport.workspace import Workspace

    # module constants: the client reads them on every batch
    sync_client.PUSH_BATCH = args.push_batch
    sync_client.PULL_PAGE = args.pull_page
    if args.stream_bytes:
        from fieldsupport.sync import transport

        transport.STREAM_BYTES = args.stream_bytes
    passes: Counter[str] = Counter()

    def hook(point: str) -> None:
        passes[point] += 1
        if point == args.stop_at and passes[point] == args.nth:
            print(f"AT {point}", flush=True)
            while True:  # wait here for the parent's SIGKILL
                signal.pause()
        print(f"PASS {point}", flush=True)

    with Workspace.open(args.workspace) as workspace:
        transport = open_transport(workspace)
        try:
            print("SYNCING", flush=True)
            report = sync_client.SyncClient(
                workspace, transport, hook=hook, chunk_bytes=args.chunk_bytes
            ).run(verify=args.verify)
        finally:
            transport.close()
    print("DONE " + json.dumps(dataclasses.asdict(report)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
