"""dcmanager.api.forms: request bodies, each fault with its own message, nesting bounded."""

import pytest
import webob

from dcmanager.api import forms
from dcmanager.common import exception


def _request(body, content_type='application/json'):
    return webob.Request.blank('/', method='POST', body=body,
                               headers={'Content-Type': content_type})


def _refused(body, content_type='application/json'):
    with pytest.raises(exception.BadRequest) as info:
        forms.read(_request(body, content_type))
    assert info.value.code == 400
    return info.value.message


# ------------------------------------------------------------------ JSON

@pytest.mark.parametrize('raw', [b'', b'   \n'])
def test_an_empty_body_is_body_required(raw):
    with pytest.raises(exception.BodyRequired) as info:
        forms.json_object(_request(raw))
    assert info.value.message == 'Body required'


@pytest.mark.parametrize('raw, message', [
    (b'not json', 'The request body is not valid JSON: Expecting value (line 1, column 1)'),
    (b'{"name": ', 'The request body is not valid JSON: Expecting value (line 1, column 10)'),
    (b'{"a": 1,\n "b"}', "The request body is not valid JSON: Expecting ':' delimiter "
                         "(line 2, column 5)"),
    (b'[1, 2]', 'The request body must be a JSON object'),
    (b'"text"', 'The request body must be a JSON object'),
    (b'3', 'The request body must be a JSON object'),
    (b'null', 'The request body must be a JSON object'),
    (b'{}', 'No fields given'),
    (b'\xff\xfe\x00', 'The request body is not valid UTF-8 (byte offset 0)'),
    (b'{"name": "\xff"}', 'The request body is not valid UTF-8 (byte offset 10)'),
])
def test_each_fault_of_a_json_body_says_what_is_wrong(raw, message):
    with pytest.raises(exception.InvalidInput) as info:
        forms.json_object(_request(raw))
    assert info.value.message == message


def test_a_json_error_never_quotes_the_body():
    message = _refused(b'{"admin_password": "Secret-Pa55" oops}')
    assert 'Secret' not in message and 'not valid JSON' in message


def test_json_object_returns_the_object():
    raw = b'{"name": "edge", "max_parallel_subclouds": "3", "nested": {"a": [1]}}'
    assert forms.json_object(_request(raw)) == {
        'name': 'edge', 'max_parallel_subclouds': '3', 'nested': {'a': [1]}}


def test_json_object_accepts_utf8_text_with_or_without_a_bom():
    raw = '{"description": "Zürich – 東京"}'.encode()
    assert forms.json_object(_request(raw)) == {'description': 'Zürich – 東京'}
    assert forms.json_object(_request(b'\xef\xbb\xbf' + raw)) == {'description': 'Zürich – 東京'}


@pytest.mark.parametrize('levels', [forms.MAX_DEPTH + 1, 500, 10000])
def test_json_nested_too_deeply_is_refused(levels):
    raw = b'{"a": ' + b'[' * (levels - 1) + b']' * (levels - 1) + b'}'
    with pytest.raises(exception.InvalidInput) as info:
        forms.json_object(_request(raw))
    assert info.value.message == 'The request body is nested more than 32 levels deep'


def test_json_nested_to_the_limit_is_accepted():
    levels = forms.MAX_DEPTH
    raw = b'{"a": ' + b'[' * (levels - 1) + b']' * (levels - 1) + b'}'
    assert forms.json_object(_request(raw))['a'] == _nested_list(levels - 1)


def _nested_list(levels):
    value = []
    for _ in range(levels - 1):
        value = [value]
    return value


# ------------------------------------------------------------------ YAML

@pytest.mark.parametrize('text', [
    '[' * 10000 + ']' * 10000,
    'a:\n' + ''.join('  ' * i + 'b:\n' for i in range(1, 40)),
    '- ' * 5000 + 'x',
])
def test_yaml_nested_too_deeply_is_refused(text):
    with pytest.raises(exception.InvalidInput) as info:
        forms.load_yaml(text, 'bootstrap_values')
    assert info.value.message == 'bootstrap_values is nested more than 32 levels deep'


def test_yaml_nested_to_the_limit_is_accepted():
    text = '[' * forms.MAX_DEPTH + ']' * forms.MAX_DEPTH
    assert forms.load_yaml(text, 'v') == _nested_list(forms.MAX_DEPTH)


# ------------------------------------------------------------------ forms

PART = b'--a\r\nContent-Disposition: form-data; name="location"\r\n\r\nhere\r\n--a--\r\n'


@pytest.mark.parametrize('body, content_type, message', [
    (PART, 'multipart/form-data',
     'The multipart body has no boundary: send Content-Type: multipart/form-data; boundary=...'),
    (PART, 'multipart/form-data; boundary=b', 'The multipart body has no part with the boundary b'),
    (b'garbage', 'multipart/form-data; boundary=a', 'The multipart body has no part with the '
                                                    'boundary a'),
    (PART, 'multipart/form-data; boundary=a; charset=utf-16',
     'A form body must be UTF-8; the Content-Type declares another charset'),
    (b'location=here', 'application/x-www-form-urlencoded; charset=utf-16',
     'A form body must be UTF-8; the Content-Type declares another charset'),
    (b'&&', 'application/x-www-form-urlencoded', 'No fields given'),
    (PART.replace(b'here', b'h\xffre'), 'multipart/form-data; boundary=a',
     'location is not valid UTF-8 text'),
    (b'location=h%FFre', 'application/x-www-form-urlencoded', 'location is not valid UTF-8 text'),
    (b'loc%FF=here', 'application/x-www-form-urlencoded', 'A field name is not valid UTF-8'),
])
def test_each_fault_of_a_form_body_says_what_is_wrong(body, content_type, message):
    assert _refused(body, content_type) == message


@pytest.mark.parametrize('content_type', ['multipart/form-data; boundary=a',
                                          'application/x-www-form-urlencoded'])
def test_an_empty_form_is_body_required(content_type):
    with pytest.raises(exception.BodyRequired):
        forms.read(_request(b'', content_type))


def test_a_form_declared_utf8_is_read():
    assert forms.read(_request(PART, 'multipart/form-data; boundary=a; charset=UTF-8')) == {
        'location': 'here'}
