"""How `evalapp serve` runs Waitress, chosen from `bench.held` and `bench.phones`
(docs/operations.md, "Production serving").

A phone keeps its connection open after a page loads, and opens spare ones before it needs
them. Waitress's defaults count every open connection against a limit of 100 and close an
idle one only after 120 s: 100 phones that loaded the start page locked every other phone
out for two minutes (measured: a room of 300, 98 answered, the next phone waited past 10 s).
An idle connection costs Waitress a socket and a few kilobytes, so the limit is set above
any meeting room, idle connections are closed after 15 s (a phone reconnects by itself when
the rater submits; one that is sending or waiting for a reply is never cut), and poll()
replaces select(), which fails past 1,024 sockets.
"""

from __future__ import annotations

import select
import socket
import sys
from typing import Any

# select() on Windows watches at most 512 sockets (CPython's FD_SETSIZE there) and Windows
# has no poll(): the limit stays under it.
HAS_POLL = hasattr(select, "poll")
CONNECTION_LIMIT = 2000 if HAS_POLL else 480
WAITRESS: dict[str, Any] = {
    "connection_limit": CONNECTION_LIMIT,
    "channel_timeout": 15,  # seconds a connection may stay idle
    "cleanup_interval": 5,  # how often idle connections are looked for
    "asyncore_use_poll": HAS_POLL,
    "backlog": 2048,  # connections the kernel queues while Waitress is busy
}


def raise_open_files_limit(wanted: int = CONNECTION_LIMIT + 100) -> None:
    """Lets the server hold CONNECTION_LIMIT sockets: many Linux systems give a process 1,024
    open files by default (soft limit), far under the hard limit it may raise itself to."""
    if sys.platform == "win32":
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def cannot_listen(host: str, port: int) -> OSError | None:
    """Why a server could not listen on `host`:`port` (another program holds it; a host
    this machine does not have), tried with a socket of our own closed at once: Waitress,
    refused, ends in a traceback and leaves its own sockets open."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Waitress does
            probe.bind(address)
    except OSError as error:
        return error
    return None
