#!/usr/bin/env python3
"""A small HTTP service that knows nothing of ETags: the upstream of the ETag Guard proxy sample.

It keeps what it is sent, per path, in memory:
  PUT    stores the body (201 Created when new, 204 No Content when replaced)
  POST   appends the body (201 Created when new, 200 OK otherwise)
  GET    answers the body with the Content-Type it was stored with (404 when absent); HEAD likewise
  DELETE forgets it (204, or 404 when absent)
It sends no ETag and no Last-Modified, and ignores every conditional header, as most services do:
two clients that read, change and write back the same resource lose each other's updates.

Python 3 standard library only; one thread per connection, HTTP/1.1 keep-alive.

    python3 server.py --port=3000      # prints "Listening on http://127.0.0.1:3000/" when ready
"""

import argparse
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_lock = threading.Lock()
_store = {}  # path -> (content type, bytes)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "python-upstream"
    # Headers and body go out in separate writes: without this, Nagle's algorithm and the client's
    # delayed ACK hold each response back by tens of milliseconds.
    disable_nagle_algorithm = True
    verbose = False

    def log_message(self, format, *args):
        if self.verbose:
            sys.stderr.write("python-upstream: %s %s\n" % (self.address_string(), format % args))

    def _key(self):
        return urlsplit(self.path).path

    def _body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status, body=b"", content_type=None, head=False):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def do_GET(self, head=False):
        with _lock:
            entry = _store.get(self._key())
        if entry is None:
            self._send(404, b"not found\n", "text/plain", head)
        else:
            self._send(200, entry[1], entry[0], head)

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_PUT(self):
        body = self._body()
        content_type = self.headers.get("Content-Type", "application/octet-stream")
        with _lock:
            created = self._key() not in _store
            _store[self._key()] = (content_type, body)
        self._send(201 if created else 204)

    def do_POST(self):
        body = self._body()
        content_type = self.headers.get("Content-Type", "application/octet-stream")
        with _lock:
            old = _store.get(self._key())
            _store[self._key()] = (old[0] if old else content_type, (old[1] if old else b"") + body)
        self._send(201 if old is None else 200)

    def do_DELETE(self):
        self._body()
        with _lock:
            existed = _store.pop(self._key(), None) is not None
        self._send(204 if existed else 404)


def main():
    parser = argparse.ArgumentParser(description="An in-memory HTTP store without ETags.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="0 picks a free port")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args()
    Handler.verbose = args.verbose
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print("Listening on http://%s:%d/" % (args.host, server.server_address[1]), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
