"""``[api] max_request_body_size`` under a server that streams bodies: a real gunicorn.

Only the API runs (no manager): the requests here are answered before any RPC call.

gunicorn passes a chunked body to the application as it arrives (no CONTENT_LENGTH,
``wsgi.input_terminated``), unlike waitress, which buffers it first: this is where the limit on
a body of unknown length is the only bound. Started, as in test_wsgi.py, from the WSGI entry
point with its configuration from the environment, stopped by its pid.
"""

import json
import socket

import requests

from tests.integration.test_wsgi import gunicorn_site, write_config

LIMIT = 64 * 1024
GROUPS = '/v1.0/subcloud-groups'
JSON = {'Accept': 'application/json', 'Content-Type': 'application/json'}


def _group(name, size, **extra):
    body = json.dumps(dict({'name': name, 'description': 'd', 'update_apply_type': 'serial',
                            'max_parallel_subclouds': 3}, **extra)).encode()
    return body[:-1] + b' ' * (size - len(body)) + b'}'


def _chunks(body, size=8192):
    for start in range(0, len(body), size):
        yield body[start:start + size]


def _unfinished_chunked_post(port, chunks):
    """POST ``chunks`` chunks of 8 KiB as a chunked body that never ends; the answer (status
    and JSON body), which the server must give without waiting for the rest."""
    with socket.create_connection(('127.0.0.1', port), timeout=30) as sock:
        sock.sendall(b'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n'
                     b'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n'
                     % GROUPS.encode())
        for _ in range(chunks):
            sock.sendall(b'2000\r\n' + b' ' * 8192 + b'\r\n')
        answer = b''
        while b'}' not in answer:
            data = sock.recv(65536)
            assert data, answer
            answer += data
    head, _, body = answer.partition(b'\r\n\r\n')
    return int(head.split()[1]), json.loads(body)


def test_gunicorn_answers_413_for_a_chunked_body_beyond_the_limit(tmp_path):
    conf, conf_dir = write_config(tmp_path)
    (conf_dir / 'api.conf').write_text('[api]\nmax_request_body_size = %d\n' % LIMIT)
    with gunicorn_site(tmp_path, conf, conf_dir, workers=1) as url:
        port = int(url.rsplit(':', 1)[1])
        # 20 chunks, 160 KiB, of a body that never ends: answered once the limit is passed
        status, body = _unfinished_chunked_post(port, 20)
        assert status == 413, body
        assert body['error'] == 'RequestBodyTooLarge'
        declared = requests.post(url + GROUPS, data=_group('big', 2 * LIMIT), headers=JSON,
                                 timeout=30)
        assert declared.status_code == 413, declared.text
        # A chunked body at the limit is read whole: refused for its content, not its size
        # (the manager, that a create would call, does not run here).
        # requests sends a generator as a chunked body (Transfer-Encoding: chunked).
        small = requests.post(url + GROUPS, data=_chunks(_group('edge', LIMIT, colour='blue')),
                              headers=JSON, timeout=30)
        assert small.status_code == 400, small.text
        assert small.json()['description'] == 'Unexpected field: colour'
        listed = requests.get(url + GROUPS, timeout=10).json()['subcloud_groups']
        assert [g['name'] for g in listed] == ['Default']
