"""Preview a built site on 127.0.0.1 with the standard library's HTTP server, plus /api/search from a Whoosh index
of that site's own examples (its api/attributes/*.json), whatever aggregate lies elsewhere."""

from __future__ import annotations

import contextlib
import errno
import functools
import json
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from whoosh.index import Index

from dicomref.errors import DicomrefError
from dicomref.search import memory_index, search, search_documents
from dicomref.site.api import published_examples
from dicomref.standard import Standard
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

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != SEARCH_PATH:
            super().do_GET()
            return
        params = parse_qs(url.query)
        assert isinstance(self.server, SiteServer)
        index = self.server.index
        if index is None:
            self.send_error(404, "search is not available: no search index")
            return
        kind = params.get("kind", [""])[0]
        if kind and kind not in KIND_NAMES:
            self.send_error(400, f"kind must be one of {', '.join(KIND_NAMES)}")
            return
        results = search(index, params.get("q", [""])[0], _limit(params.get("limit", [])), kind or None)
        body = json.dumps([r.as_json() for r in results], ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def site_index(folder: Path, standard: Standard) -> Index:
    """A search index of the standard and of the examples this site shows, held in memory."""
    return memory_index(search_documents(standard, published_examples(folder)))


class SiteServer(ThreadingHTTPServer):
    index: Index | None = None  # answers /api/search; set once built


def make_server(folder: Path, port: int, index: Index | None = None) -> SiteServer:
    """Bound to 127.0.0.1:port; a port in use (or not allowed) is one clear error naming it."""
    try:
        server = SiteServer(("127.0.0.1", port), functools.partial(SiteHandler, directory=str(folder)))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise DicomrefError(f"port {port} is already in use on 127.0.0.1: choose another with --port") from None
        if exc.errno == errno.EACCES:
            raise DicomrefError(f"port {port} may not be opened by this user: choose another with --port") from None
        raise
    server.index = index
    return server


def serve_forever(server: SiteServer) -> None:
    with server, contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
