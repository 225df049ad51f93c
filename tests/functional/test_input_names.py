"""Names and texts from the wire: names are printable, trimmed text without path separators (one
rule, ``schemas.NAME``, for every name), descriptions and locations printable text. A refusal is a
400 that says which rule was broken, never a 500 (a lone surrogate used to reach the database),
and changes nothing. Through the real WSGI stack, manager and database.
"""

import urllib.parse

import pytest

from tests import subcloud_forms as forms

SUBCLOUDS = '/v1.0/subclouds'
GROUPS = '/v1.0/subcloud-groups'
JSON = forms.JSON
PRINTABLE = 'printable characters only (no control, bidirectional, zero-width or ' \
            'line-separator characters)'
TRIMMED = 'no space at the beginning or the end'
SEGMENT = 'none of / \\ ? # %'

UNPRINTABLE = {
    'newline': 'edge\n2026-12-03 08:00:00.000 1 INFO dcmanager forged line',
    'carriage return': 'ed\rge',
    'nul': 'ed\x00ge',
    'tab': 'ed\tge',
    'escape': 'ed\x1b[31mge',
    'next line (C1)': 'ed\x85ge',
    'right-to-left override': 'ed\u202ege',
    'left-to-right isolate': 'ed\u2066ge',
    'arabic letter mark': 'ed\u061cge',
    'line separator': 'ed\u2028ge',
    'zero width space': 'ed\u200bge',
    'byte order mark': '\ufeffedge',
    'lone surrogate': 'ed\ud800ge',
    'noncharacter': 'ed\uffffge',
}
UNTRIMMED = [' edge', 'edge ', '\u3000edge', 'edge\u00a0']
PATH_SEPARATORS = ['ed/ge', 'ed\\ge', 'ed#ge', 'ed%ge', 'ed%2Fge']


@pytest.fixture(autouse=True)
def unreachable(site):
    with forms.unreachable_subclouds() as port:
        yield port


def _group_body(**kw):
    body = {'name': 'edge', 'description': 'Edge sites', 'update_apply_type': 'serial',
            'max_parallel_subclouds': 4}
    body.update(kw)
    return body


def _everything(api):
    return api.get(GROUPS).json, api.get(SUBCLOUDS).json


def _refused(api, method, path, body, message):
    before = _everything(api)
    resp = getattr(api, method)(path, body, headers=JSON, status=400)
    assert resp.json['description'] == message
    assert _everything(api) == before


# ------------------------------------------------------------------ group names

@pytest.mark.parametrize('name', UNPRINTABLE.values(), ids=UNPRINTABLE.keys())
def test_group_names_are_printable(api, name):
    _refused(api, 'post_json', GROUPS, _group_body(name=name),
             'Invalid group name: ' + PRINTABLE)
    api.post_json(GROUPS, _group_body())
    _refused(api, 'patch_json', GROUPS + '/edge', {'name': name},
             'Invalid group name: ' + PRINTABLE)


@pytest.mark.parametrize('name', UNTRIMMED)
def test_group_names_are_trimmed_not_silently_changed(api, name):
    _refused(api, 'post_json', GROUPS, _group_body(name=name), 'Invalid group name: ' + TRIMMED)
    api.post_json(GROUPS, _group_body(name='core'))
    _refused(api, 'patch_json', GROUPS + '/core', {'name': name},
             'Invalid group name: ' + TRIMMED)


@pytest.mark.parametrize('name', PATH_SEPARATORS)
def test_group_names_are_path_segments(api, name):
    # A group named "ed/ge" could only be reached by its id.
    _refused(api, 'post_json', GROUPS, _group_body(name=name), 'Invalid group name: ' + SEGMENT)


@pytest.mark.parametrize('name', ['edge site', 'Été', '東京', 'edge-1_a', 'x' * 255, '１'])
def test_printable_group_names_are_accepted_and_reachable(api, name):
    group = api.post_json(GROUPS, _group_body(name=name)).json
    assert group['name'] == name
    assert api.get('%s/%s' % (GROUPS, urllib.parse.quote(name))).json == group


@pytest.mark.parametrize('name, message', [
    ('', 'Invalid group name'), ('123', 'Invalid group name'), ('a.b', 'Invalid group name'),
    ('x' * 256, 'Invalid group name'), ('Default', 'Invalid group name'),
])
def test_the_reference_name_rules_keep_their_message(api, name, message):
    _refused(api, 'post_json', GROUPS, _group_body(name=name), message)


# ------------------------------------------------------------------ descriptions

@pytest.mark.parametrize('text', UNPRINTABLE.values(), ids=UNPRINTABLE.keys())
def test_group_descriptions_are_printable(api, text):
    _refused(api, 'post_json', GROUPS, _group_body(description=text),
             'Invalid group description: ' + PRINTABLE)
    api.post_json(GROUPS, _group_body())
    _refused(api, 'patch_json', GROUPS + '/edge', {'description': text},
             'Invalid group description: ' + PRINTABLE)


def test_descriptions_may_hold_spaces_anywhere(api):
    text = '  Edge  sites, Montréal  '
    assert api.post_json(GROUPS, _group_body(description=text)).json['description'] == text


# ------------------------------------------------------------------ subclouds

@pytest.mark.parametrize('text', UNPRINTABLE.values(), ids=UNPRINTABLE.keys())
@pytest.mark.parametrize('field', ['description', 'location'])
def test_subcloud_texts_are_printable_on_add(api, field, text):
    form, files = forms.add_request()
    body = dict(form, bootstrap_values=forms.bootstrap_values(), **{field: text})
    _refused(api, 'post_json', SUBCLOUDS, body, 'Invalid %s: %s' % (field, PRINTABLE))
    body = dict(form, bootstrap_values=forms.bootstrap_values(**{field: text}))
    _refused(api, 'post_json', SUBCLOUDS, body, 'Invalid %s: %s' % (field, PRINTABLE))


@pytest.mark.parametrize('text', UNPRINTABLE.values(), ids=UNPRINTABLE.keys())
@pytest.mark.parametrize('field', ['description', 'location'])
def test_subcloud_texts_are_printable_on_update(api, field, text):
    forms.add_settled(api)
    _refused(api, 'patch_json', SUBCLOUDS + '/sc1', {field: text},
             'Invalid %s: %s' % (field, PRINTABLE))


@pytest.mark.parametrize('name', list(UNPRINTABLE.values()) + UNTRIMMED + PATH_SEPARATORS)
def test_subcloud_names_are_refused_on_add_and_rename(api, name):
    form, files = forms.add_request()
    body = dict(form, bootstrap_values=forms.bootstrap_values(name))
    before = _everything(api)
    resp = api.post_json(SUBCLOUDS, body, headers=JSON, status=400)
    assert resp.json['description'].startswith('name invalid: ')
    forms.add_settled(api)
    before = _everything(api)
    resp = api.patch_json(SUBCLOUDS + '/sc1', {'name': name}, headers=JSON, status=400)
    assert resp.json['description'].startswith('name invalid: ')
    assert _everything(api) == before


@pytest.mark.parametrize('release', ['24.09\n', '24.09\r\n', '\n24.09'])
def test_a_release_with_a_newline_is_refused(api, release):
    # JSON Schema patterns are ECMA-262: '$' is the end of the text (in Python's re it also
    # matches before a final newline, which let "24.09\n" through).
    form, files = forms.add_request(release=release)
    forms.refused_add(api, form, files, 'Invalid release: <major>.<minor>, for example 24.09')
