"""The address phones in the meeting room use to reach this server."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from flask import Flask, current_app, request


def lan_address() -> str:
    """This machine's address on its local network, or 127.0.0.1 when it has none.

    Connecting a UDP socket sends nothing; it only asks the kernel which interface would be
    used, which is the one the room's Wi-Fi reaches.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def base_url(app: Flask, port: int = 5000) -> str:
    configured = app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    return f"http://{lan_address()}:{port}"


def base_url_for_request() -> str:
    """The address to print on tickets while serving a request: the configured one; else,
    for a request that came over HTTPS (directly, or through a trusted proxy), the name it
    came to, which is the one the certificate is for (this machine's LAN address on port 443
    printed `http://<lan>:443`, which nothing answers); else this machine's LAN address on the
    port the request came in on."""
    if not current_app.config.get("BASE_URL") and request.scheme == "https":
        return f"https://{request.host}"
    try:  # "[::1]" is a host without a port, not port "1]"; a port that is not one is ignored
        port = urlsplit(f"//{request.host}").port
    except ValueError:
        port = None
    return base_url(current_app, port or (443 if request.scheme == "https" else 80))
