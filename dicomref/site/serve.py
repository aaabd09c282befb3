"""Preview a built site on 127.0.0.1 with the standard library's HTTP server."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def make_server(folder: Path, port: int) -> ThreadingHTTPServer:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve_folder(folder: Path, port: int) -> None:
    with make_server(folder, port) as server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
