"""Held connections: can a new phone still get in while many others keep their connection open?

    python -m bench.held --db sqlite --held 1000        # `evalapp serve` (Waitress)
    python -m bench.held --db postgresql --held 1000    # gunicorn

A browser keeps its connection open after a page loads, and opens spare ones before it needs
them. The script starts the server as production runs it, opens `--held` connections that
each load the start page and then stay open doing nothing (`--preconnect` connections that
never send a request at all), and then times a new phone's request on a new connection.

It prints how many held connections got their page, how long the new phone waited, and
whether it was answered: a server that counts idle connections against a small limit locks
the room out until its idle timeout.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import Server, db_parser, fresh_database, prepare, run_async
from evalapp.serving import raise_open_files_limit

REQUEST = b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive\r\n\r\n"


async def _answered(reader: asyncio.StreamReader) -> bool:
    """Reads one response (headers and a Content-Length body); whether it was a 200."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    await reader.readexactly(length)
    return head.startswith(b"HTTP/1.1 200")


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)


async def _hold(port: int, loaded: bool, wait: float) -> tuple[asyncio.StreamWriter | None, bool]:
    """A phone's connection: it loads the start page (when `loaded`) and stays open."""
    try:
        reader, writer = await _connect(port)
    except OSError:
        return None, False
    if not loaded:
        return writer, True
    writer.write(REQUEST % f"127.0.0.1:{port}".encode())
    try:
        return writer, await asyncio.wait_for(_answered(reader), wait)
    except (TimeoutError, asyncio.IncompleteReadError, OSError):
        return writer, False


@dataclass(frozen=True)
class Held:
    held: int
    preconnect: int
    loaded: int  # held connections whose start page came
    new_phone: float | None  # seconds a new phone waited for its page; None: no answer


async def _run(port: int, held: int, preconnect: int, settle: float, wait: float) -> Held:
    holders = await asyncio.gather(*[_hold(port, True, settle) for _ in range(held)])
    spares = await asyncio.gather(*[_hold(port, False, settle) for _ in range(preconnect)])
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(_connect(port), wait)
        writer.write(REQUEST % f"127.0.0.1:{port}".encode())
        answered = await asyncio.wait_for(_answered(reader), wait)
        writer.close()
    except (TimeoutError, asyncio.IncompleteReadError, OSError):
        answered = False
    waited = time.perf_counter() - started
    for writer, _ok in (*holders, *spares):
        if writer is not None:
            writer.close()
    return Held(held, preconnect, sum(ok for _w, ok in holders), waited if answered else None)


def hold(port: int, held: int, preconnect: int = 0, wait: float = 10.0,
         settle: float = 10.0) -> Held:
    """`held` connections that load a page (waiting at most `settle` seconds for it) and
    `preconnect` silent ones, held open against a server on `port`; then a new phone, which
    waits at most `wait` seconds for its page."""
    raise_open_files_limit(held + preconnect + 100)
    return run_async(_run(port, held, preconnect, settle, wait))


def report(kind: str, outcome: Held, wait: float) -> str:
    phone = (f"answered in {outcome.new_phone * 1000:.0f} ms" if outcome.new_phone is not None
             else f"NOT answered within {wait:.0f} s")
    return (f"held connections on {kind}: {outcome.held} phones holding a loaded page "
            f"({outcome.loaded} got it), {outcome.preconnect} silent pre-connections; "
            f"a new phone {phone}")


def main(argv: list[str] | None = None) -> int:
    parser = db_parser(__doc__)
    parser.add_argument("--held", type=int, default=1000)
    parser.add_argument("--preconnect", type=int, default=0)
    parser.add_argument("--wait", type=float, default=10.0,
                        help="seconds the new phone waits for its page")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds a held connection waits for its page")
    args = parser.parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="evalapp-instance-"))
    with fresh_database(args.db) as database:
        prepare(database, 1, instance)
        server = Server(args.db, database.url, instance, workers=4)
        server.start()
        try:
            outcome = hold(server.port, args.held, args.preconnect, args.wait, args.settle)
        finally:
            server.stop()
    print(report(args.db, outcome, args.wait))
    return 0 if outcome.new_phone is not None and outcome.loaded == args.held else 1


if __name__ == "__main__":
    sys.exit(main())
