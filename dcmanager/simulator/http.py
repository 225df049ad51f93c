"""A minimal HTTP/1.1 server on asyncio protocols: keep-alive, pipelining, small JSON bodies.

Why not aiohttp or http.server: the simulator must hold tens of thousands of listening sockets and
their connections in one process on two cores, with no dependency beyond the standard library. A
handler is called with a Request and returns a Response, or an awaitable of one when it must wait
(a delay fault): the common case costs no task at all. Requests on one connection are answered in
order; a connection with a request in progress stops reading after a few pipelined ones.
"""

import asyncio
import collections
import http
import json
import logging
import socket
from urllib import parse

from dcmanager.simulator import addresses

LOG = logging.getLogger(__name__)

MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
MAX_PIPELINED = 16
_REASONS = {status.value: status.phrase for status in http.HTTPStatus}
_CONTINUE = b'HTTP/1.1 100 Continue\r\n\r\n'


class HttpError(Exception):
    """Raised by a handler (or the parser) to answer with ``status`` and a JSON error body."""

    def __init__(self, status, message, headers=()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = tuple(headers)


class Request:
    """One parsed request. Header names are lower-case."""

    __slots__ = ('method', 'path', 'query', 'version', 'headers', 'body', 'keep_alive')

    def __init__(self, method, path, query, version, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        connection = headers.get('connection', '').lower()
        if version == 'HTTP/1.0':
            self.keep_alive = 'keep-alive' in connection
        else:
            self.keep_alive = 'close' not in connection

    def json(self, required=True):
        """The body as JSON; raise HttpError(400) when it is not (or is empty and required)."""
        if not self.body:
            if required:
                raise HttpError(400, 'a JSON body is required')
            return None
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise HttpError(400, 'the body is not valid JSON: %s' % e) from None


class Response:
    """Status, body bytes and extra headers (a sequence of (name, value))."""

    __slots__ = ('status', 'body', 'headers', 'content_type')

    def __init__(self, status, body=b'', headers=(), content_type='application/json'):
        self.status = status
        self.body = body
        self.headers = headers
        self.content_type = content_type


def json_response(status, data, headers=()):
    return Response(status, json.dumps(data, separators=(',', ':')).encode(), headers)


def error_response(status, message, headers=()):
    """Keystone's error shape, which the control API shares: {"error": {code, message, title}}."""
    return json_response(status, {'error': {'code': status, 'message': message,
                                            'title': _REASONS.get(status, 'Error')}}, headers)


class ConnectionBudget:
    """The most client connections the process holds at once: a new one beyond ``limit`` closes
    the connection idle the longest (what a real server's cap on keep-alive connections does).

    Why: a client that keeps a connection to every subcloud (the audit) would otherwise take the
    simulator past its open-file limit, and at EMFILE every listener stops accepting, healthy
    subclouds included. A closed idle connection costs the client one reconnect.
    """

    def __init__(self, limit):
        self.limit = limit
        self._live = set()
        self._idle = collections.OrderedDict()  # connection -> None, idle the longest first

    def opened(self, conn):
        self._live.add(conn)
        while len(self._live) > self.limit and self._idle:
            oldest, _ = self._idle.popitem(last=False)
            self._live.discard(oldest)
            oldest.close()
        self._idle[conn] = None  # idle until its first request

    def busy(self, conn):
        self._idle.pop(conn, None)

    def rested(self, conn):
        self._idle[conn] = None
        self._idle.move_to_end(conn)

    def closed(self, conn):
        self._live.discard(conn)
        self._idle.pop(conn, None)

    def __len__(self):
        return len(self._live)


class HttpProtocol(asyncio.Protocol):
    """One server-side connection. ``connections`` (a set) tracks the live ones for faults;
    ``budget`` (a ConnectionBudget, or None) those of the whole process."""

    def __init__(self, handler, connections, budget=None):
        self._handler = handler
        self._connections = connections
        self._budget = budget
        self._buffer = bytearray()
        self._queue = []
        self._task = None
        self._continued = False
        self._paused = False
        self._broken = False
        self.transport = None
        self.last_active = 0.0

    # asyncio callbacks

    def connection_made(self, transport):
        self.transport = transport
        self.last_active = asyncio.get_running_loop().time()
        self._connections.add(self)
        if self._budget is not None:
            self._budget.opened(self)

    def connection_lost(self, exc):
        self._connections.discard(self)
        if self._budget is not None:
            self._budget.closed(self)
        if self._task is not None:
            self._task.cancel()
        self._queue.clear()

    def data_received(self, data):
        self.last_active = asyncio.get_running_loop().time()
        if self._budget is not None:
            self._budget.busy(self)
        if self._broken:  # a parse error is queued: the connection is closing, ignore the rest
            return
        self._buffer += data
        try:
            while True:
                request = self._parse()
                if request is None:
                    break
                self._queue.append(request)
        except HttpError as e:
            self._queue.append(e)
            self._buffer.clear()
            self._broken = True
        self._drain()

    @property
    def idle(self):
        return self._task is None and not self._queue and not self._buffer

    def close(self):
        if self.transport is not None:
            self.transport.abort()

    # request handling, strictly in order

    def _drain(self):
        while self._queue and self._task is None and not self.transport.is_closing():
            item = self._queue.pop(0)
            if isinstance(item, HttpError):  # unparsable: answer and hang up
                self._write(None, error_response(item.status, item.message), close=True)
                return
            try:
                result = self._handler(item)
            except HttpError as e:
                result = error_response(e.status, e.message, e.headers)
            except Exception:
                LOG.exception('handler failed for %s %s', item.method, item.path)
                result = error_response(500, 'internal simulator error')
            if isinstance(result, Response):
                self._write(item, result)
            else:
                self._task = asyncio.ensure_future(self._finish(item, result))
        if self._paused and len(self._queue) < MAX_PIPELINED:
            self._paused = False
            self.transport.resume_reading()
        elif not self._paused and len(self._queue) >= MAX_PIPELINED:
            self._paused = True
            self.transport.pause_reading()
        if self._budget is not None and self.idle and not self.transport.is_closing():
            self._budget.rested(self)

    async def _finish(self, request, awaitable):
        try:
            response = await awaitable
        except HttpError as e:
            response = error_response(e.status, e.message, e.headers)
        except asyncio.CancelledError:
            raise
        except Exception:
            LOG.exception('handler failed for %s %s', request.method, request.path)
            response = error_response(500, 'internal simulator error')
        self._task = None
        if not self.transport.is_closing():
            self._write(request, response)
            self._drain()

    def _write(self, request, response, close=False):
        keep = not close and request is not None and request.keep_alive
        head = ['HTTP/1.1 %d %s' % (response.status, _REASONS.get(response.status, 'Unknown')),
                'Server: dcmanager-subcloud-sim',
                'Content-Length: %d' % len(response.body)]
        if response.body:
            head.append('Content-Type: ' + response.content_type)
        head.extend('%s: %s' % pair for pair in response.headers)
        if not keep:
            head.append('Connection: close')
        elif request.version == 'HTTP/1.0':
            head.append('Connection: keep-alive')
        data = ('\r\n'.join(head) + '\r\n\r\n').encode('latin-1')
        if request is None or request.method != 'HEAD':
            data += response.body
        self.transport.write(data)
        self.last_active = asyncio.get_running_loop().time()
        if not keep:
            self._queue.clear()
            self.transport.close()

    # parsing

    def _parse(self):
        buf = self._buffer
        while buf[:2] == b'\r\n':  # tolerated before a request line (RFC 9112 §2.2)
            del buf[:2]
        end = buf.find(b'\r\n\r\n')
        if end < 0:
            if len(buf) > MAX_HEAD:
                raise HttpError(431, 'request head too large')
            return None
        lines = bytes(buf[:end]).decode('latin-1').split('\r\n')
        try:
            method, target, version = lines[0].split(' ')
        except ValueError:
            raise HttpError(400, 'malformed request line') from None
        if version not in ('HTTP/1.1', 'HTTP/1.0'):
            raise HttpError(505, 'unsupported HTTP version')
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(':')
            if not sep or not name or name[-1] in ' \t':
                raise HttpError(400, 'malformed header line')
            name = name.lower()
            value = value.strip()
            headers[name] = headers[name] + ', ' + value if name in headers else value
        start = end + 4
        if 'chunked' in headers.get('transfer-encoding', '').lower():
            parsed = _dechunk(buf, start)
            if parsed is None:
                return self._need_more(headers)
            body, stop = parsed
        else:
            try:
                length = int(headers.get('content-length', '0'))
            except ValueError:
                raise HttpError(400, 'bad Content-Length') from None
            if length < 0 or length > MAX_BODY:
                raise HttpError(413, 'body too large')
            if len(buf) - start < length:
                return self._need_more(headers)
            body, stop = bytes(buf[start:start + length]), start + length
        del buf[:stop]
        self._continued = False
        if target.startswith(('http://', 'https://')):
            target = '/' + target.split('/', 3)[3] if target.count('/') >= 3 else '/'
        path, _, query = target.partition('?')
        return Request(method, parse.unquote(path), query, version, headers, body)

    def _need_more(self, headers):
        if (not self._continued and headers.get('expect', '').lower() == '100-continue'):
            self._continued = True
            self.transport.write(_CONTINUE)
        return None


def _dechunk(buf, pos):
    """Decode a chunked body starting at ``pos``: (body, end) or None when incomplete."""
    body = bytearray()
    while True:
        eol = buf.find(b'\r\n', pos)
        if eol < 0:
            return None
        try:
            size = int(bytes(buf[pos:eol]).split(b';')[0], 16)
        except ValueError:
            raise HttpError(400, 'bad chunk size') from None
        pos = eol + 2
        if size == 0:
            end = buf.find(b'\r\n\r\n', pos - 2)  # no trailers expected; skip any
            return (bytes(body), end + 4) if end >= 0 else None
        if len(buf) < pos + size + 2:
            return None
        body += buf[pos:pos + size]
        if len(body) > MAX_BODY:
            raise HttpError(413, 'body too large')
        pos += size + 2


def listen(host, port, backlog=128):
    """A bound, listening, non-blocking TCP socket on a loopback ``host``."""
    if socket.inet_aton(host)[0] != 127:  # cheap: called for every listener of the fleet
        raise addresses.AddressError('%s is not a loopback address (127.0.0.0/8 only)' % host)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def serve(handler, connections, host, port, backlog=128, budget=None):
    """Start serving ``handler`` on host:port (its connections within ``budget``, a
    ConnectionBudget shared by the process's listeners, when given); return the asyncio
    Server."""
    loop = asyncio.get_running_loop()
    sock = listen(host, port, backlog)
    try:
        return await loop.create_server(lambda: HttpProtocol(handler, connections, budget),
                                        sock=sock, backlog=backlog)
    except BaseException:
        sock.close()
        raise


def close_idle(connections, now, timeout):
    """Close the connections in ``connections`` idle for more than ``timeout`` seconds."""
    for conn in [c for c in connections if c.idle and now - c.last_active > timeout]:
        conn.transport.close()
