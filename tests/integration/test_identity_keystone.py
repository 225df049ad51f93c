"""The identity client layer against a real Keystone (child process, token caching off).

A token the cache holds is made invalid at Keystone — revoked, or its fernet key rotated away with
``keystone-manage fernet_rotate`` twice — and the next call through the layer gets a 401,
renews exactly once and succeeds.
"""

import grp
import os
import pwd
import shutil
import subprocess
import sys

import pytest

from dcmanager.drivers import identity

pytestmark = pytest.mark.keystone


class CountingStore(identity.MemoryTokenStore):
    """A memory store that counts the tokens put in it: one per token request."""

    def __init__(self):
        super().__init__(max_entries=100)
        self.puts = 0

    def put(self, digest, token, release_lease=False):
        self.puts += 1
        super().put(digest, token, release_lease=release_lease)


def _session(keystone):
    store = CountingStore()
    cache = identity.TokenCache(store, early_renewal_seconds=300, jitter_seconds=0,
                                renewal_timeout=30)
    user = keystone.users['dc-admin']
    session = identity.SessionPool(cache).get(keystone.url, user.name, user.password,
                                              project_name=user.project)
    return session, store


def _call(session, keystone):
    """An authenticated call: the projects the token's user may use."""
    resp = session.get(keystone.url + '/auth/projects', raise_exc=False)
    return resp.status_code


def test_revoked_token_is_renewed_once(keystone):
    session, store = _session(keystone)
    assert _call(session, keystone) == 200
    assert _call(session, keystone) == 200
    assert store.puts == 1
    keystone.revoke(session.get_token())
    assert _call(session, keystone) == 200
    assert store.puts == 2


def _keystone_manage():
    found = shutil.which('keystone-manage')
    return found or os.path.join(os.path.dirname(sys.executable), 'keystone-manage')


def test_fernet_rotation_twice_then_one_renewal(keystone):
    session, store = _session(keystone)
    assert _call(session, keystone) == 200
    old_token = session.get_token()
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    for _ in range(2):  # max_active_keys = 3: the second rotation deletes the token's key
        subprocess.run([_keystone_manage(), '--config-file', keystone.config_file,
                        'fernet_rotate', '--keystone-user', user, '--keystone-group', group],
                       check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    assert _call(session, keystone) == 200
    assert store.puts == 2
    assert session.get_token() != old_token
