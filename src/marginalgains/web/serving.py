"""The HTTP protocol `gains serve` gives uvicorn: its own, with TCP_NODELAY set on every connection.

With `--workers` above 1 uvicorn binds the listening socket itself without naming TCP as its protocol,
so asyncio does not set TCP_NODELAY on the connections it accepts (uvicorn issue #3149, open in 0.54):
Nagle's algorithm then holds each response's body until the client acknowledges its headers, and the
client's delayed acknowledgement adds about 40 ms to every request on a kept-alive connection.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol

PROTOCOL = "marginalgains.web.serving:NoDelayHTTPProtocol"  # uvicorn's --http


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol (httptools if installed, else h11), sending each write at once."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_no_delay(transport)
        super().connection_made(transport)


def set_no_delay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
