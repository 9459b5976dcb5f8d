"""A fake platform's ASGI app served by uvicorn in a thread of the test process, on a free
loopback port."""

import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp


def serve(app: ASGIApp) -> str:
    """Starts serving `app`; returns its base URL once it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}"
