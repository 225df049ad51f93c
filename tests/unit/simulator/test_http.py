"""The HTTP/1.1 parser and writer, over a fake transport: keep-alive, pipelining, chunking."""

import asyncio

from dcmanager.simulator import http


class FakeTransport:
    def __init__(self):
        self.data = b''
        self.closed = False

    def write(self, data):
        self.data += data

    def is_closing(self):
        return self.closed

    def close(self):
        self.closed = True

    abort = close

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass


def _echo(request):
    return http.json_response(200, {'method': request.method, 'path': request.path,
                                    'query': request.query, 'body': request.body.decode()})


def _run(chunks, handler=_echo):
    async def go():
        connections = set()
        proto = http.HttpProtocol(handler, connections)
        transport = FakeTransport()
        proto.connection_made(transport)
        for chunk in chunks:
            proto.data_received(chunk)
            await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        return transport
    return asyncio.run(go())


def test_pipelined_keep_alive_requests_are_answered_in_order():
    transport = _run([b'GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b?x=1 HTTP/1.1\r\n'
                      b'Content-Length: 2\r\n\r\nhi'])
    first, second = transport.data.split(b'HTTP/1.1 200 OK')[1:]
    assert b'"path":"/a"' in first and b'"path":"/b"' in second and b'"body":"hi"' in second
    assert b'"query":"x=1"' in second
    assert not transport.closed


def test_a_body_split_across_packets_and_connection_close():
    transport = _run([b'PUT /c HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nab',
                      b'cde'])
    assert b'"body":"abcde"' in transport.data and b'Connection: close' in transport.data
    assert transport.closed


def test_chunked_body_and_100_continue():
    transport = _run([b'POST /d HTTP/1.1\r\nTransfer-Encoding: chunked\r\n'
                      b'Expect: 100-continue\r\n\r\n', b'3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'])
    assert transport.data.startswith(b'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK')
    assert b'"body":"abcde"' in transport.data


def test_head_has_length_but_no_body_and_http10_closes():
    transport = _run([b'HEAD /e HTTP/1.0\r\n\r\n'])
    head, _, body = transport.data.partition(b'\r\n\r\n')
    assert b'Content-Length: ' in head and body == b''
    assert transport.closed


def test_garbage_gets_400_and_the_connection_closed():
    transport = _run([b'NONSENSE\r\n\r\n'])
    assert transport.data.startswith(b'HTTP/1.1 400 Bad Request') and transport.closed


def test_async_handler_and_handler_errors():
    async def slow(request):
        await asyncio.sleep(0)
        if request.path == '/boom':
            raise RuntimeError('boom')
        raise http.HttpError(409, 'busy')
    transport = _run([b'GET /x HTTP/1.1\r\n\r\nGET /boom HTTP/1.1\r\n\r\n'], slow)
    assert transport.data.index(b'409 Conflict') < transport.data.index(b'500 Internal')


def test_the_connection_budget_closes_the_longest_idle_never_a_busy_one():
    async def go():
        budget = http.ConnectionBudget(limit=2)
        release = asyncio.Event()

        async def slow(request):
            await release.wait()
            return http.json_response(200, {})

        def handler(request):
            return slow(request) if request.path == '/slow' else _echo(request)

        def connect():
            proto = http.HttpProtocol(handler, set(), budget)
            transport = FakeTransport()
            proto.connection_made(transport)
            return proto, transport

        first, first_t = connect()
        second, second_t = connect()
        second.data_received(b'GET /slow HTTP/1.1\r\n\r\n')  # busy until released
        first.data_received(b'GET /a HTTP/1.1\r\n\r\n')  # answered: idle again
        await asyncio.sleep(0)
        third, third_t = connect()  # over the limit: the idle one goes, not the busy one
        assert (first_t.closed, second_t.closed, third_t.closed) == (True, False, False)
        first.connection_lost(None)
        assert len(budget) == 2
        release.set()
        await asyncio.sleep(0.01)
        assert b'200 OK' in second_t.data and not second_t.closed
        third.data_received(b'GET /b HTTP/1.1\r\n\r\n')
        fourth, fourth_t = connect()  # second answered before third: second is idle longest
        assert (second_t.closed, third_t.closed, fourth_t.closed) == (True, False, False)
    asyncio.run(go())
