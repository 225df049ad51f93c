"""Authentication and authorization of the API against a real Keystone (api-ref/source).

Real tokens from the Keystone child process, validated by keystonemiddleware in front of the full
WSGI stack; the policy rules of ``dcmanager.policies`` decide on the roles and project in them.
"""

import time

import pytest

from dcmanager.api import auth as dc_auth
from dcmanager.api import policy as dc_policy
from dcmanager.conf import CONF

pytestmark = pytest.mark.keystone

BASE = '/v1.0/subcloud-groups'
JSON = {'Accept': 'application/json'}


def _body(**kw):
    body = {'name': 'edge', 'description': 'Edge sites', 'update_apply_type': 'serial',
            'max_parallel_subclouds': 4}
    body.update(kw)
    return body


def _auth(token):
    return dict(JSON, **{'X-Auth-Token': token})


@pytest.fixture(scope='module')
def tokens(keystone_auth):
    """One project-scoped token per test user (the revocation test takes its own)."""
    return {name: keystone_auth.token(name) for name in ('dc-reader', 'dc-admin', 'tenant-admin')}


@pytest.fixture
def edge(keystone_api, tokens):
    """A subcloud group created by the admin."""
    return keystone_api.post_json(BASE, _body(), headers=_auth(tokens['dc-admin'])).json


def _names(api, token):
    return sorted(g['name'] for g in api.get(BASE, headers=_auth(token)).json['subcloud_groups'])


def _assert_401(resp, token=None):
    assert resp.status_int == 401
    assert resp.headers['WWW-Authenticate'].startswith('Keystone uri=')
    if token:
        # The reference echoed the token in its 401 text (a known defect).
        # Booleans first: pytest would print both operands of a failed ``in``.
        in_body = token in resp.text
        in_headers = any(token in v for v in resp.headers.values())
        assert not in_body, 'the 401 body echoes the token'
        assert not in_headers, 'a 401 header echoes the token'


# ------------------------------------------------------------------ authentication

def test_no_token_is_401(keystone_api):
    _assert_401(keystone_api.get(BASE, headers=JSON, status=401))


@pytest.mark.parametrize('method', ['post_json', 'patch_json', 'delete'])
def test_no_token_on_writes_is_401(keystone_api, method):
    path = BASE if method == 'post_json' else BASE + '/Default'
    args = (path, _body()) if method != 'delete' else (path,)
    _assert_401(getattr(keystone_api, method)(*args, headers=JSON, status=401))


def test_garbage_token_is_401(keystone_api):
    garbage = 'not-a-token-%s' % ('x' * 40)
    _assert_401(keystone_api.get(BASE, headers=_auth(garbage), status=401), garbage)


def test_altered_token_is_401(keystone_api, keystone_auth):
    token = keystone_auth.token('dc-admin')
    altered = token[:-4] + ('AAAA' if token[-4:] != 'AAAA' else 'BBBB')
    _assert_401(keystone_api.get(BASE, headers=_auth(altered), status=401), altered)
    # The genuine token still works: the 401 came from the alteration.
    keystone_api.get(BASE, headers=_auth(token), status=200)


def test_version_document_needs_no_token(keystone_api):
    versions = keystone_api.get('/').json['versions']
    assert [v['id'] for v in versions] == ['v1.0']


def test_revoked_token_is_401_once_the_cache_expires(keystone_api, keystone_auth):
    token = keystone_auth.token('dc-reader')
    keystone_api.get(BASE, headers=_auth(token), status=200)
    keystone_auth.revoke(token)
    deadline = time.monotonic() + CONF.keystone_authtoken.token_cache_time + 4
    while True:
        status = keystone_api.get(BASE, headers=_auth(token), expect_errors=True).status_int
        if status != 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 401


@pytest.fixture
def long_cache_api(site, keystone_auth):
    """The API behind keystonemiddleware with valid tokens cached for a minute."""
    previous = CONF.keystone_authtoken.token_cache_time
    CONF.set_override('token_cache_time', 60, group='keystone_authtoken')
    try:
        yield site.app()
    finally:
        CONF.set_override('token_cache_time', previous, group='keystone_authtoken')
        site.reset_database()


def test_a_frozen_keystone_is_a_prompt_503_and_cached_tokens_still_work(long_cache_api,
                                                                       keystone_auth):
    api = long_cache_api
    known, fresh = keystone_auth.token('dc-reader'), keystone_auth.token('dc-reader')
    api.get(BASE, headers=_auth(known), status=200)  # validated: now in the cache
    with keystone_auth.frozen():
        resp = api.get(BASE, headers=_auth(fresh), status=503)
        assert resp.json['error'] == 'IdentityUnavailable'
        assert resp.headers['Retry-After'] == '5'
        # Not asked again for a while: at once, the same answer.
        resp = api.get(BASE, headers=_auth(fresh), status=503)
        assert resp.json['error'] == 'IdentityUnavailable'
        # The token validated before Keystone froze needs no Keystone.
        assert _names(api, known) == ['Default']
    # Keystone back: once Retry-After has passed, the fresh token is accepted.
    deadline = time.monotonic() + dc_auth.RETRY_AFTER + 20
    while True:
        resp = api.get(BASE, headers=_auth(fresh), expect_errors=True)
        if resp.status_int != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert resp.status_int == 200, resp.text


# ------------------------------------------------------------------ reader

def test_reader_may_read(keystone_api, tokens, edge):
    token = tokens['dc-reader']
    assert _names(keystone_api, token) == ['Default', 'edge']
    shown = keystone_api.get('%s/%d' % (BASE, edge['id']), headers=_auth(token)).json
    assert shown == edge
    assert keystone_api.get(BASE + '/edge', headers=_auth(token)).json == edge
    subclouds = keystone_api.get(BASE + '/edge/subclouds', headers=_auth(token)).json
    assert subclouds == {'subclouds': []}


def test_reader_may_not_write(keystone_api, tokens, edge):
    token = tokens['dc-reader']
    before = keystone_api.get(BASE, headers=_auth(token)).json
    resp = keystone_api.post_json(BASE, _body(name='core'), headers=_auth(token), status=403)
    assert resp.json['code'] == 403
    keystone_api.patch_json(BASE + '/edge', {'description': 'changed'}, headers=_auth(token),
                            status=403)
    keystone_api.patch_json(BASE + '/Default', {'max_parallel_subclouds': 9},
                            headers=_auth(token), status=403)
    keystone_api.delete(BASE + '/edge', headers=_auth(token), status=403)
    assert keystone_api.get(BASE, headers=_auth(tokens['dc-admin'])).json == before


# ------------------------------------------------------------------ admin of project admin

def test_admin_round_trip(keystone_api, tokens):
    headers = _auth(tokens['dc-admin'])
    created = keystone_api.post_json(BASE, _body(), headers=headers).json
    assert created['name'] == 'edge' and created['max_parallel_subclouds'] == 4
    assert _names(keystone_api, tokens['dc-admin']) == ['Default', 'edge']

    updated = keystone_api.patch_json('%s/%d' % (BASE, created['id']),
                                      {'description': 'changed', 'max_parallel_subclouds': 7},
                                      headers=headers).json
    assert updated['description'] == 'changed' and updated['max_parallel_subclouds'] == 7
    assert keystone_api.get(BASE + '/edge', headers=headers).json == updated
    assert keystone_api.get(BASE + '/edge/subclouds', headers=headers).json == {'subclouds': []}

    keystone_api.delete(BASE + '/edge', headers=headers, status=200)
    keystone_api.get(BASE + '/edge', headers=headers, status=404)
    assert _names(keystone_api, tokens['dc-admin']) == ['Default']


# ------------------------------------------------------------------ admin of another project

def test_admin_of_another_project_is_refused(keystone_api, tokens, edge):
    token = tokens['tenant-admin']
    keystone_api.get(BASE, headers=_auth(token), status=403)
    keystone_api.get(BASE + '/edge', headers=_auth(token), status=403)
    keystone_api.post_json(BASE, _body(name='core'), headers=_auth(token), status=403)
    keystone_api.delete(BASE + '/edge', headers=_auth(token), status=403)
    assert _names(keystone_api, tokens['dc-admin']) == ['Default', 'edge']


# ------------------------------------------------------------------ policy file

@pytest.fixture
def policy_file(tmp_path):
    """Writes a policy file, points [oslo_policy] policy_file at it; restores the defaults."""
    dc_policy.get_enforcer()  # registers [oslo_policy] on CONF
    path = tmp_path / 'policy.yaml'

    def use(rules):
        """Override with ``rules`` (name -> check string), or back to the defaults with None."""
        if rules is None:
            CONF.clear_override('policy_file', group='oslo_policy')
        else:
            path.write_text(''.join('"%s": "%s"\n' % item for item in rules.items()))
            CONF.set_override('policy_file', str(path), group='oslo_policy')
        dc_policy.reset()

    try:
        yield use
    finally:
        use(None)


def test_policy_file_overrides_the_defaults(keystone_api, tokens, policy_file):
    reader, admin = _auth(tokens['dc-reader']), _auth(tokens['dc-admin'])
    keystone_api.post_json(BASE, _body(), headers=reader, status=403)

    policy_file({'dc_api:subcloud_groups:create': 'role:reader and project_name:admin',
                 'dc_api:subcloud_groups:get': '!'})
    created = keystone_api.post_json(BASE, _body(), headers=reader).json
    assert created['name'] == 'edge'
    keystone_api.get(BASE, headers=admin, status=403)
    keystone_api.get(BASE, headers=reader, status=403)

    policy_file(None)
    keystone_api.post_json(BASE, _body(name='core'), headers=reader, status=403)
    assert _names(keystone_api, tokens['dc-admin']) == ['Default', 'edge']
