"""dcmanager.api.schemas: JSON Schema validation with the CLI's integer strings and messages."""

import pytest

from dcmanager.api import schemas
from dcmanager.api.schemas import subcloud_groups as group_schema
from dcmanager.common import exception


def _valid_create(**kw):
    body = {'name': 'edge', 'description': 'Edge sites', 'update_apply_type': 'serial',
            'max_parallel_subclouds': 4}
    body.update(kw)
    return body


def _reason(schema, body, messages=group_schema.MESSAGES):
    with pytest.raises(exception.InvalidInput) as info:
        schemas.validate(schema, body, messages)
    assert info.value.code == 400
    return info.value.message


# ------------------------------------------------------------------ integer coercion

@pytest.mark.parametrize('text, number', [
    ('3', 3), (' 12 ', 12), ('5000', 5000), ('007', 7),
])
def test_digit_strings_become_integers(text, number):
    body = schemas.validate(group_schema.CREATE, _valid_create(max_parallel_subclouds=text),
                            group_schema.MESSAGES)
    assert body['max_parallel_subclouds'] == number
    assert type(body['max_parallel_subclouds']) is int


def test_integers_stay_integers():
    body = schemas.validate(group_schema.UPDATE, {'max_parallel_subclouds': 9},
                            group_schema.MESSAGES)
    assert body == {'max_parallel_subclouds': 9}


def test_validate_does_not_change_the_callers_dict():
    body = {'max_parallel_subclouds': '9'}
    schemas.validate(group_schema.UPDATE, body, group_schema.MESSAGES)
    assert body == {'max_parallel_subclouds': '9'}


@pytest.mark.parametrize('value', [
    '1.5', '', '   ', 'abc', '3a', '0x10', '1e3', '--3', '+-3', '²', '٣', True, False, 1.5, None,
    [3], {'n': 3},
])
def test_non_integers_are_refused_with_the_property_message(value):
    reason = _reason(group_schema.UPDATE, {'max_parallel_subclouds': value})
    assert reason == 'Invalid group max_parallel_subclouds'


@pytest.mark.parametrize('value', ['0', '-3', 0, 5001, '5001'])
def test_coerced_integers_are_range_checked(value):
    reason = _reason(group_schema.UPDATE, {'max_parallel_subclouds': value})
    assert reason == 'Invalid group max_parallel_subclouds'


def test_only_integer_properties_are_coerced():
    body = schemas.validate(group_schema.UPDATE, {'description': '42'}, group_schema.MESSAGES)
    assert body == {'description': '42'}


# ------------------------------------------------------------------ messages

@pytest.mark.parametrize('body, reason', [
    ({'name': '123'}, 'Invalid group name'),
    ({'name': 'a.b'}, 'Invalid group name'),
    ({'name': 'x' * 256}, 'Invalid group name'),
    ({'name': ''}, 'Invalid group name'),
    ({'description': ''}, 'Invalid group description'),
    ({'description': 'd' * 256}, 'Invalid group description'),
    ({'update_apply_type': 'random'}, 'Invalid group update_apply_type'),
    ({'max_parallel_subclouds': 'many'}, 'Invalid group max_parallel_subclouds'),
])
def test_each_property_has_its_message(body, reason):
    assert _reason(group_schema.UPDATE, body) == reason


@pytest.mark.parametrize('name', ['Default', 'default', 'DEFAULT'])
def test_default_spelled_names_create_vs_update(name):
    # Creating one is a syntax error; on update the manager decides (Default keeps its name,
    # renaming it has its own message, another group may not take it).
    assert _reason(group_schema.CREATE, _valid_create(name=name)) == 'Invalid group name'
    body = schemas.validate(group_schema.UPDATE, {'name': name}, group_schema.MESSAGES)
    assert body == {'name': name}


def test_valid_values_pass():
    body = _valid_create(name='x' * 255, description='d' * 255, update_apply_type='parallel',
                         max_parallel_subclouds=5000)
    assert schemas.validate(group_schema.CREATE, body, group_schema.MESSAGES) == body


@pytest.mark.parametrize('missing', ['name', 'description', 'update_apply_type',
                                     'max_parallel_subclouds'])
def test_missing_required_property_is_named(missing):
    body = _valid_create()
    del body[missing]
    assert _reason(group_schema.CREATE, body) == '%s required' % missing


def test_unexpected_properties_are_named():
    assert _reason(group_schema.UPDATE, {'name': 'edge', 'zeta': 1, 'alpha': 2}) == \
        'Unexpected field: alpha, zeta'


def test_empty_update_is_refused():
    assert _reason(group_schema.UPDATE, {}) == 'nothing to update'


def test_property_without_a_message_gets_the_schema_error():
    schema = {'type': 'object', 'properties': {'count': {'type': 'integer'}}}
    reason = _reason(schema, {'count': 'x'}, messages={})
    assert "'x' is not of type 'integer'" in reason


# ------------------------------------------------------------------ ECMA-262 patterns

@pytest.mark.parametrize('text', ['edge\n', 'edge\r\n', '\nedge'])
def test_dollar_is_the_end_of_the_text_as_in_ecma_262(text):
    # Python's re lets '$' match before a final newline; JSON Schema's patterns are ECMA-262.
    schema = {'type': 'object', 'properties': {'n': {'type': 'string', 'pattern': '^[a-z]+$'}}}
    with pytest.raises(exception.InvalidInput):
        schemas.validate(schema, {'n': text}, {})
    assert schemas.validate(schema, {'n': 'edge'}, {}) == {'n': 'edge'}


@pytest.mark.parametrize('pattern, translated', [
    ('^a$', r'^a\Z'), (r'^a\$$', r'^a\$\Z'), ('^[$]$', r'^[$]\Z'), (r'^[\]$]$', r'^[\]$]\Z'),
])
def test_only_end_anchors_are_translated(pattern, translated):
    assert schemas._ecma_regex(pattern).pattern == translated


def test_lone_surrogates_are_refused_in_any_field_and_key():
    assert _reason(group_schema.UPDATE, {'description': 'a\ud800'}).startswith(
        'Invalid group description: printable characters only')
    assert _reason(group_schema.UPDATE, {'x\udc00': 1}) == 'Unexpected field: x\\udc00'
