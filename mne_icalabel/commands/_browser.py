"""``--browser``: serve a review page instead of opening a Qt window."""

from __future__ import annotations

import signal
import sys
import threading

_RECIPE = (
    "    On another machine: ssh -N -L {port}:127.0.0.1:{port} THIS_HOST, then open "
    "the URL there."
)


def add_browser_arguments(parser) -> None:
    """Add ``--browser``, ``--port``, ``--host``, ``--base-url`` and ``--no-open``."""
    group = parser.add_argument_group(
        "review in a web browser (a server on this machine, e.g. over SSH)"
    )
    group.add_argument(
        "--browser",
        action="store_true",
        help="serve the review as a web page (printed URL) instead of a Qt window",
    )
    group.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port of the page (default: 8765, else the next free one)",
    )
    group.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; "
        "another address warns: use SSH port forwarding instead)",
    )
    group.add_argument(
        "--base-url",
        default="/",
        help="path prefix of the page, e.g. behind a proxy (default: /)",
    )
    group.add_argument(
        "--no-open",
        action="store_true",
        help="do not open a browser on this machine; only print the URL",
    )


def serve_until_interrupted(server, what: str) -> None:
    """Print the URL as Jupyter does; serve until Ctrl+C or SIGTERM."""
    print(f"Serving the review of {what} at:", flush=True)
    print(f"    {server.url}", flush=True)
    print(_RECIPE.format(port=server.port), flush=True)
    print("Use Control-C to stop this server.", flush=True)
    stop = threading.Event()
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
        print("Server stopped.", file=sys.stderr, flush=True)
