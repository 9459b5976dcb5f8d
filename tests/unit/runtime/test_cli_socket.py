"""The listening socket every service serves HTTP on."""

import socket

from services.runtime.cli import bind


def test_the_listening_socket_says_it_is_tcp_so_asyncio_turns_nagle_off() -> None:
    # With proto 0 asyncio leaves Nagle on for accepted connections, and every response on a
    # kept-alive connection waited ~40 ms for the client's delayed ACK (measured: /me 47 ms).
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
