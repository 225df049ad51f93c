"""dcmanager.api.errors: exceptions to the HTTP status and body the dcmanager CLI can print."""

import html
import json
import logging
import re
import sys

from oslo_messaging._drivers import common as messaging_common
import pytest
import webob

from dcmanager.api import errors
from dcmanager.common import exception, rpc


def cli_message(body):
    """What the dcmanager CLI prints for an error body (README.md, its compatibility section).

    The CLI takes the text of ``<body>`` (BeautifulSoup's get_text), drops blank lines, and
    prints line 2 (with a final '.') plus "Details: " and the lines after it. Without a
    ``<body>`` it prints the raw body.
    """
    match = re.search(r'<body>(.*)</body>', body, re.S)
    if match is None:
        return body
    text = html.unescape(re.sub(r'<[^>]*>', '', match.group(1)))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    message = lines[1] if len(lines) > 1 else lines[0]
    if not message.endswith('.'):
        message += '.'
    if len(lines) > 2:
        message += '\nDetails: ' + '\n'.join(lines[2:])
    return message


def _remote(exc):
    """``exc`` as the API receives it when the manager raised it: rebuilt by oslo.messaging."""
    try:
        raise exc
    except exception.DCManagerException:
        data = messaging_common.serialize_remote_exception(sys.exc_info())
    return messaging_common.deserialize_remote_exception(data, rpc.ALLOWED_EXMODS)


# ------------------------------------------------------------------ project exceptions

@pytest.mark.parametrize('accept', ['*/*', 'text/html', 'text/html,application/json;q=0.5'])
def test_not_found_is_the_html_page_the_cli_parses(accept):
    resp = errors.to_response(exception.SubcloudGroupNotFound(), accept=accept)
    assert resp.status_int == 404
    assert resp.content_type == 'text/html'
    assert cli_message(resp.text) == \
        'The resource could not be found.\nDetails: Subcloud Group not found'


def test_bad_request_message_survives_html_escaping():
    exc = exception.InvalidInput(reason='name <edge> & "co" is invalid')
    resp = errors.to_response(exc, accept='*/*')
    assert resp.status_int == 400
    assert '<edge>' not in resp.text  # escaped in the page...
    assert cli_message(resp.text) == (  # ...and printed as sent
        'The server could not comply with the request since it is either malformed or '
        'otherwise incorrect.\nDetails: name <edge> & "co" is invalid')


@pytest.mark.parametrize('exc, status', [
    (exception.BodyRequired(), 400),
    (exception.Forbidden(action='dc_api:subcloud_groups:create'), 403),
    (exception.SubcloudGroupNameTaken(), 409),
    (exception.NotAuthorized(), 401),
    (exception.ServiceUnavailable(reason='manager down'), 503),
])
def test_status_is_the_exception_code(exc, status):
    resp = errors.to_response(exc, accept='*/*')
    assert resp.status_int == status
    assert cli_message(resp.text).endswith('\nDetails: ' + exc.message)


def test_json_body_for_application_json():
    resp = errors.to_response(exception.SubcloudGroupNotFound(), accept='application/json')
    assert resp.status_int == 404
    assert resp.content_type == 'application/json'
    assert json.loads(resp.text) == {'code': 404, 'title': 'Not Found',
                                     'description': 'Subcloud Group not found',
                                     'error': 'SubcloudGroupNotFound'}


def test_plain_text_otherwise():
    resp = errors.to_response(exception.SubcloudGroupNotEmpty(), accept='text/plain')
    assert resp.status_int == 400
    assert resp.content_type == 'text/plain'
    assert 'Subcloud Group not empty' in resp.text


def test_server_side_project_error_is_logged_without_secrets(caplog):
    exc = exception.ServiceUnavailable(reason='manager down')
    with caplog.at_level(logging.ERROR, logger='dcmanager.api.errors'):
        resp = errors.to_response(exc, request_id='req-1', accept='*/*')
    assert resp.status_int == 503
    assert 'req-1' in caplog.text and 'manager down' in caplog.text


# ------------------------------------------------------------------ unexpected exceptions

@pytest.mark.parametrize('accept', ['*/*', 'application/json', 'text/plain'])
def test_unexpected_exception_is_a_generic_500(accept, caplog):
    leaky = RuntimeError('password=hunter2 at postgresql://dc:hunter2@db/dcmanager')
    with caplog.at_level(logging.ERROR, logger='dcmanager.api.errors'):
        try:
            raise leaky
        except RuntimeError as e:
            resp = errors.to_response(e, request_id='req-2', accept=accept)
    assert resp.status_int == 500
    assert 'hunter2' not in resp.text
    assert 'RuntimeError' not in resp.text
    assert 'Traceback' not in resp.text
    assert errors._INTERNAL_MESSAGE in (json.loads(resp.text)['description']
                                        if accept == 'application/json' else resp.text)
    # The operator still finds the cause in the log, with the request id.
    assert 'req-2' in caplog.text and 'RuntimeError' in caplog.text


def test_unexpected_exception_json_names_no_class(caplog):
    try:
        {}['auth_token']
    except KeyError as e:
        exc = e
    with caplog.at_level(logging.ERROR, logger='dcmanager.api.errors'):
        resp = errors.to_response(exc, accept='application/json')  # outside the except block
    body = json.loads(resp.text)
    assert body['code'] == 500 and body['error'] == 'InternalError'
    assert 'auth_token' not in resp.text
    # The log has the exception's own traceback, not "NoneType: None".
    assert "KeyError: 'auth_token'" in caplog.text


def test_framework_http_exceptions_get_the_same_body_shape():
    original = webob.exc.HTTPMethodNotAllowed(headers={'Allow': 'GET'})
    resp = errors.to_response(original, accept='application/json')
    assert resp.status_int == 405
    assert resp.headers['Allow'] == 'GET'
    body = json.loads(resp.text)
    assert body['code'] == 405 and body['error'] == 'MethodNotAllowed' and body['description']


def test_manager_timeout_is_503():
    import oslo_messaging

    resp = errors.to_response(oslo_messaging.MessagingTimeout('no reply'),
                              accept='application/json')
    assert resp.status_int == 503
    body = json.loads(resp.text)
    assert body['error'] == 'ManagerUnavailable' and 'no reply' not in body['description']


# ------------------------------------------------------------ exceptions raised by the manager

def test_remote_exception_reports_its_own_name():
    exc = _remote(exception.SubcloudGroupDefaultNotDeletable())
    assert type(exc).__name__ == 'SubcloudGroupDefaultNotDeletable_Remote'
    assert isinstance(exc, exception.SubcloudGroupDefaultNotDeletable)

    resp = errors.to_response(exc, accept='application/json')
    assert resp.status_int == 400
    body = json.loads(resp.text)
    assert body['error'] == 'SubcloudGroupDefaultNotDeletable'
    assert body['description'] == 'Default Subcloud Group may not be deleted'


def test_remote_exception_page_carries_no_remote_traceback():
    exc = _remote(exception.InvalidInput(reason='Invalid group name'))
    assert 'Traceback' in str(exc)  # oslo.messaging appends the manager's traceback to str()
    resp = errors.to_response(exc, accept='*/*')
    assert resp.status_int == 400
    assert 'Traceback' not in resp.text
    assert cli_message(resp.text).endswith('\nDetails: Invalid group name')


@pytest.mark.parametrize('exc', [
    exception.LeaderTermStale(name='pg-1', term=1, current=2),
    exception.LeaderConflict(name='pg-1', term=2, leader='site-b'),
])
def test_a_write_of_a_site_that_no_longer_leads_is_refused_at_warning(exc, caplog):
    """Raised by the manager (remote) or the API itself: 409, logged at WARNING with the
    group and the terms; any other refusal stays at INFO."""
    for raised in (exc, _remote(exc)):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger='dcmanager.api.errors'):
            resp = errors.to_response(raised, request_id='req-9', accept='application/json')
        assert resp.status_int == 409
        record, = caplog.records
        assert record.levelno == logging.WARNING
        assert 'req-9' in record.getMessage() and 'pg-1' in record.getMessage()
        assert 'leader term' in record.getMessage()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger='dcmanager.api.errors'):
        errors.to_response(exception.InvalidInput(reason='no'), request_id='req-10')
    assert [r.levelno for r in caplog.records] == [logging.INFO]
