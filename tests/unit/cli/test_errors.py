"""The text of an API error (JSON description, the reference's HTML rule, raw body, empty 500)
and the short reason of a failed connection."""

import pathlib
import socket
import threading

import pytest
import requests

from dcmanager.cli import errors

SAMPLES = pathlib.Path(__file__).resolve().parents[3] / 'api-ref' / 'source' / 'samples'
WEBOB_404 = ('<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not '
             'Found</h1>\n  The resource could not be found.<br /><br />\nSubcloud not found\n\n\n'
             ' </body>\n</html>')


def test_json_error_gives_its_description():
    body = (SAMPLES / 'subcloud-groups' / 'subcloud-group-error-json-resp.json').read_text()
    assert errors.api_message(409, body) == 'A subcloud group with this name already exists'


def test_html_error_page_follows_the_reference_rule():
    body = (SAMPLES / 'subcloud-groups' / 'subcloud-group-error-html-resp.html').read_text()
    assert errors.api_message(409, body) == (
        'There was a conflict when trying to complete your request.\n'
        'Details: A subcloud group with this name already exists')


def test_the_contracts_404_page():
    assert errors.api_message(404, WEBOB_404) == (
        'The resource could not be found.\nDetails: Subcloud not found')


def test_html_with_two_lines_adds_a_period_and_no_details():
    body = '<html><body>\n<h1>400 Bad Request</h1>\nBody required\n</body></html>'
    assert errors.api_message(400, body) == 'Body required.'


def test_html_with_one_line():
    assert errors.api_message(502, '<html><body>Bad gateway</body></html>') == 'Bad gateway.'


def test_openstack_error_shape_gives_its_message():
    body = '{"error": {"code": 401, "title": "Unauthorized", "message": "Authentication required"}}'
    assert errors.api_message(401, body) == 'Authentication required'


@pytest.mark.parametrize('body', ['{"error": {"code": 404}}', 'plain text failure', '[1, 2]'])
def test_other_bodies_are_printed_raw(body):
    assert errors.api_message(404, body) == body


def test_empty_500():
    assert errors.api_message(500, '') == errors.EMPTY_500
    assert errors.api_message(500, '  \n') == errors.EMPTY_500


def test_empty_body_of_another_status_says_so():
    assert errors.api_message(503, '') == 'HTTP 503 with an empty body'


def _closed_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_refused_connection_reason():
    with pytest.raises(requests.exceptions.ConnectionError) as info:
        requests.get('http://127.0.0.1:%d/' % _closed_port(), timeout=5)
    assert errors.network_reason(info.value) == 'connection refused'


def test_plain_http_answer_on_tls_is_a_tls_reason():
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(1)
    def answer():
        conn, _ = server.accept()
        conn.recv(1024)
        conn.sendall(b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')
        conn.close()
    t = threading.Thread(target=answer, daemon=True)
    t.start()
    try:
        with pytest.raises(requests.exceptions.SSLError) as info:
            requests.get('https://127.0.0.1:%d/' % server.getsockname()[1], timeout=5)
        assert errors.network_reason(info.value).startswith('TLS: ')
    finally:
        t.join(5)
        server.close()
