"""A threaded HTTP server on a free 127.0.0.1 port for the CLI's unit tests: what a handler
class answers, and what it was sent (``seen``), until the block ends."""

import contextlib
import http.server
import threading


@contextlib.contextmanager
def serving(handler):
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    srv.seen, srv.routes = [], {}
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    srv.url = 'http://127.0.0.1:%d' % srv.server_address[1]
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)
