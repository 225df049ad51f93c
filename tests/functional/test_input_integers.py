"""Integers and id references from the wire (query strings, paths, form fields, JSON): only ASCII
digits, within the database's INTEGER range; anything else is a clear 400 (a value) or 404 (a
reference), never a 500, and changes nothing. Through the real WSGI stack, manager and database.
"""

import urllib.parse

import pytest

from dcmanager.common import integers
from tests import subcloud_forms as forms

SUBCLOUDS = '/v1.0/subclouds'
GROUPS = '/v1.0/subcloud-groups'
JSON = forms.JSON
BEYOND_64_BITS = '99999999999999999999999'
OVER_DIGIT_LIMIT = '9' * 5000
TOO_LARGE = [BEYOND_64_BITS, str(integers.INT_MAX + 1), str(2 ** 63), OVER_DIGIT_LIMIT,
             '0' * 30 + BEYOND_64_BITS]
NOT_ASCII_DIGITS = ['¹', '１', '٣', '1１']


@pytest.fixture(autouse=True)
def unreachable(site):
    with forms.unreachable_subclouds() as port:
        yield port


def _group(api, name='edge', **kw):
    body = {'name': name, 'description': 'Edge sites', 'update_apply_type': 'serial',
            'max_parallel_subclouds': 4}
    body.update(kw)
    return api.post_json(GROUPS, body).json


def _everything(api):
    return api.get(GROUPS).json, api.get(SUBCLOUDS).json


# ------------------------------------------------------------------ list query

@pytest.mark.parametrize('param, message', [
    ('limit', 'Invalid limit: a positive integer'),
    ('marker', 'Invalid marker: the id of the last subcloud of the previous page'),
    ('group_id', 'Invalid group_id: a subcloud group id'),
    ('peer_group_id', 'Invalid peer_group_id: a subcloud peer group id'),
])
@pytest.mark.parametrize('value', TOO_LARGE + NOT_ASCII_DIGITS)
def test_list_query_integers_out_of_range_or_not_ascii_are_400(api, param, message, value):
    resp = api.get(SUBCLOUDS, {param: value}, headers=JSON, status=400)
    assert resp.json['description'] == message


@pytest.mark.parametrize('param', ['limit', 'marker', 'group_id'])
def test_list_query_accepts_the_largest_integer(api, param):
    forms.add_settled(api)
    resp = api.get(SUBCLOUDS, {param: str(integers.INT_MAX)})
    assert resp.status_int == 200


def test_a_page_with_the_largest_limit_lists_everything(api):
    forms.add_settled(api)
    rows = api.get(SUBCLOUDS, {'limit': str(integers.INT_MAX)}).json['subclouds']
    assert [r['name'] for r in rows] == ['sc1']


# ------------------------------------------------------------------ references in paths

@pytest.mark.parametrize('ref', TOO_LARGE + ['0'])
@pytest.mark.parametrize('method, path, message', [
    ('get', GROUPS + '/%s', 'Subcloud Group not found'),
    ('get', GROUPS + '/%s/subclouds', 'Subcloud Group not found'),
    ('delete', GROUPS + '/%s', 'Subcloud Group not found'),
    ('get', SUBCLOUDS + '/%s', 'Subcloud not found'),
    ('get', SUBCLOUDS + '/%s/detail', 'Subcloud not found'),
    ('delete', SUBCLOUDS + '/%s', 'Subcloud not found'),
])
def test_numeric_refs_beyond_the_id_range_are_not_found(api, ref, method, path, message):
    forms.add_settled(api)
    before = _everything(api)
    resp = getattr(api, method)(path % ref, headers=JSON, status=404)
    assert resp.json['description'] == message
    assert _everything(api) == before


@pytest.mark.parametrize('ref', TOO_LARGE)
def test_patch_of_a_group_beyond_the_id_range_is_not_found(api, ref):
    before = _everything(api)
    resp = api.patch_json('%s/%s' % (GROUPS, ref), {'description': 'x'}, headers=JSON,
                          status=404)
    assert resp.json['description'] == 'Subcloud Group not found'
    assert _everything(api) == before


@pytest.mark.parametrize('ref', TOO_LARGE)
def test_patch_of_a_subcloud_beyond_the_id_range_is_not_found(api, ref):
    forms.add_settled(api)
    before = _everything(api)
    resp = forms.patch_form(api, ref, {'description': 'x'}, headers=JSON, status=404)
    assert resp.json['description'] == 'Subcloud not found'
    assert _everything(api) == before


@pytest.mark.parametrize('digit', ['１', '¹'])
def test_a_group_named_by_a_non_ascii_digit_is_that_group_not_an_id(api, digit):
    group = _group(api, name=digit)
    assert group['id'] != 1
    path = '%s/%s' % (GROUPS, urllib.parse.quote(digit))
    assert api.get(path).json == group
    api.delete(path)
    assert [g['name'] for g in api.get(GROUPS).json['subcloud_groups']] == ['Default']


@pytest.mark.parametrize('digit', NOT_ASCII_DIGITS)
def test_a_non_ascii_digit_ref_of_no_group_is_not_found(api, digit):
    ref = urllib.parse.quote(digit)
    resp = api.get('%s/%s' % (GROUPS, ref), headers=JSON, status=404)
    assert resp.json['description'] == 'Subcloud Group not found'
    resp = api.get('%s/%s' % (SUBCLOUDS, ref), headers=JSON, status=404)
    assert resp.json['description'] == 'Subcloud not found'


# ------------------------------------------------------------------ group_id of add and update

@pytest.mark.parametrize('group_id', TOO_LARGE + NOT_ASCII_DIGITS + ['0'])
def test_add_with_a_group_id_of_no_group_is_refused(api, group_id):
    # '１' used to be read as 1: the subcloud silently landed in the Default group.
    form, files = forms.add_request(group_id=group_id)
    forms.refused_add(api, form, files, 'Invalid group_id')


@pytest.mark.parametrize('group_id', [10 ** 22, integers.INT_MAX + 1, 0, -1])
def test_json_add_with_an_integer_group_id_out_of_range_is_refused(api, group_id):
    form, files = forms.add_request()
    body = dict(form, group_id=group_id,
                bootstrap_values=forms.bootstrap_values())
    before = _everything(api)
    resp = api.post_json(SUBCLOUDS, body, headers=JSON, status=400)
    assert resp.json['description'] == 'Invalid group_id'
    assert _everything(api) == before


@pytest.mark.parametrize('group_id', TOO_LARGE + NOT_ASCII_DIGITS)
def test_update_with_a_group_id_of_no_group_is_refused(api, group_id):
    forms.add_settled(api)
    before = _everything(api)
    resp = forms.patch_form(api, 'sc1', {'group_id': group_id}, headers=JSON, status=400)
    assert resp.json['description'] == 'Invalid group'
    assert _everything(api) == before


# ------------------------------------------------------------------ integer fields of a group

@pytest.mark.parametrize('value', TOO_LARGE + NOT_ASCII_DIGITS + [10 ** 30, -10 ** 30])
def test_group_integers_out_of_range_or_not_ascii_are_refused(api, value):
    _group(api)
    before = _everything(api)
    resp = api.post_json(GROUPS, {'name': 'core', 'description': 'd', 'update_apply_type':
                                  'serial', 'max_parallel_subclouds': value},
                         headers=JSON, status=400)
    assert resp.json['description'] == 'Invalid group max_parallel_subclouds'
    resp = api.patch_json(GROUPS + '/edge', {'max_parallel_subclouds': value}, headers=JSON,
                          status=400)
    assert resp.json['description'] == 'Invalid group max_parallel_subclouds'
    assert _everything(api) == before
