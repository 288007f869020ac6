"""`gains serve`'s HTTP protocol sets TCP_NODELAY on connections accepted from a socket bound as uvicorn binds one
for several workers (no protocol named), where asyncio itself leaves Nagle's algorithm on."""

import asyncio
import socket

from marginalgains.web.serving import set_no_delay


def accepted_no_delay(prepare) -> int:
    """TCP_NODELAY on the server side of a loopback connection accepted from a uvicorn-style listener, after
    `prepare(transport)` ran in connection_made."""
    listener = socket.socket(socket.AF_INET)  # as uvicorn's Config.bind_socket: proto left at 0
    listener.bind(("127.0.0.1", 0))
    seen = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport):
            prepare(transport)
            seen.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def connect():
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        while not seen:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()
    asyncio.run(connect())
    return seen[0]


def test_asyncio_leaves_nagle_on_for_such_a_listener():
    assert accepted_no_delay(lambda transport: None) == 0  # the upstream behaviour the protocol corrects


def test_the_protocol_turns_nagle_off():
    assert accepted_no_delay(set_no_delay) != 0
