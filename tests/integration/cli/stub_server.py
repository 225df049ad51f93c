"""A small real HTTP server on 127.0.0.1 that answers what a test tells it and records what it
was sent: for the answers a real dcmanager never gives (a 500 with an empty body, a plain-text
error) and for reading the exact requests the CLI puts on the wire.

``StubServer`` runs in a thread of the test process on a free port (the kernel's choice); use
it as a context manager: it is shut down and its socket closed at the end. ``tls`` (a
certificate and its key) makes it an HTTPS server.
"""

import dataclasses
import http.server
import json
import ssl
import threading


@dataclasses.dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes


class StubServer:
    """``answers``: {(method, path without query or trailing slash): (status, content type, body
    bytes)}; anything else gets a JSON 404. ``requests``: every request received, in order."""

    def __init__(self, answers=None, tls=None):
        self.answers = dict(answers or {})
        self.queues = {}
        self.requests = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                stub.requests.append(Request(self.command, self.path,
                                             {k.lower(): v for k, v in self.headers.items()},
                                             body))
                # /v1.0/x and /v1.0/x/ (the reference's list paths) are the same answer
                key = (self.command, self.path.split('?')[0].rstrip('/'))
                queued = stub.queues.get(key)
                if queued and len(queued) > 1:
                    stub.answers[key] = queued.pop(0)
                elif queued:
                    stub.answers[key] = queued[0]
                status, content_type, payload = stub.answers.get(
                    key,
                    (404, 'application/json', json.dumps({'description': 'no such stub'})
                     .encode()))
                self.send_response(status)
                if content_type:
                    self.send_header('Content-Type', content_type)
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _answer

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        scheme = 'http'
        if tls is not None:  # (certificate file, key file): HTTPS
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = 'https'
        self.url = '%s://127.0.0.1:%d' % (scheme, self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, method, path, status=200, body=None, content_type='application/json'):
        """Answer ``method path`` with ``status`` and ``body`` (a dict: JSON; str/bytes: as
        they are)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.answers[(method, path.rstrip('/'))] = (status, content_type, body or b'')

    def answer_in_turn(self, method, path, *answers):
        """Answer ``method path`` with each of ``answers`` ((status, body) pairs) in turn, the
        last one for good."""
        self.queues[(method, path.rstrip('/'))] = [
            (status, 'application/json', json.dumps(body).encode()) for status, body in answers]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
