"""A WSGI app served by Waitress on a free loopback port, in a thread: the app under test
(`live_server`), or a stand-in for an outside service (tests.support.oidc_provider)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import create_server


@contextmanager
def served(app: Any, threads: int = 8) -> Iterator[str]:
    """The base address ("http://127.0.0.1:PORT") of `app` while the block runs."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        def close_everything() -> None:
            # A connection's handle_close also closes what it had left to send (a static
            # file's open handle among them); its bare close() left that to the garbage
            # collector, a ResourceWarning that failed whichever test came next.
            for dispatcher in list(server._map.values()):
                if isinstance(dispatcher, HTTPChannel):
                    dispatcher.handle_close()
                else:
                    dispatcher.close()

        # Sockets are closed on the server's own thread, through its trigger: closed from
        # this thread, they could vanish under the select() of a busy server (EBADF).
        server.trigger.pull_trigger(close_everything)
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
