"""Preview a built site on 127.0.0.1 with the standard library's HTTP server, plus /api/search from the Whoosh index."""

from __future__ import annotations

import contextlib
import functools
import json
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from whoosh.index import Index

from dicomref.search import search
from dicomref.urls import KIND_NAMES

SEARCH_PATH = "/api/search"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


def _limit(values: list[str]) -> int:
    """`limit` from the query string, kept within 1..MAX_LIMIT; anything unreadable means the default."""
    try:
        return min(max(int(values[0]), 1), MAX_LIMIT)
    except (IndexError, ValueError):
        return DEFAULT_LIMIT


class SiteHandler(SimpleHTTPRequestHandler):
    """The site's files, and GET /api/search?q=QUERY[&limit=N][&kind=K] answered as `dicomref search --json` would."""

    def __init__(self, *args: Any, index: Index | None, **kwargs: Any) -> None:
        self.index = index
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != SEARCH_PATH:
            super().do_GET()
            return
        params = parse_qs(url.query)
        if self.index is None:
            self.send_error(404, "search is not available: no search index")
            return
        kind = params.get("kind", [""])[0]
        if kind and kind not in KIND_NAMES:
            self.send_error(400, f"kind must be one of {', '.join(KIND_NAMES)}")
            return
        results = search(self.index, params.get("q", [""])[0], _limit(params.get("limit", [])), kind or None)
        body = json.dumps([r.as_json() for r in results], ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def make_server(folder: Path, port: int, index: Index | None = None) -> ThreadingHTTPServer:
    handler = functools.partial(SiteHandler, directory=str(folder), index=index)
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve_folder(folder: Path, port: int, index: Index | None = None) -> None:
    with make_server(folder, port, index) as server, contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
