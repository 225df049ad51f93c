"""dcmanager.api.server.check_bind: noauth trusts every caller, so it only ever listens on loopback.

Nothing here binds a socket or contacts anything: check_bind only reads the configuration.
"""

import pytest

from dcmanager.api import server
from dcmanager.common import exception
from dcmanager.conf import CONF


@pytest.fixture
def override(site):
    """CONF.set_override for one test; afterwards every option has its previous value again.

    ``site`` has parsed CONF and overrides some options itself (auth_strategy = noauth), so an
    override is not simply cleared: the site's value is put back.
    """
    saved = []

    def set_override(name, value, group=None):
        saved.append((name, group, (CONF[group] if group else CONF)[name]))
        CONF.set_override(name, value, group=group)

    yield set_override
    for name, group, value in reversed(saved):
        CONF.clear_override(name, group=group)
        if (CONF[group] if group else CONF)[name] != value:
            CONF.set_override(name, value, group=group)


@pytest.mark.parametrize('host', ['0.0.0.0', '::', '10.1.2.3', 'fd00::1', 'dc.example.com',
                                  '::ffff:127.0.0.1'])
def test_noauth_refuses_a_non_loopback_bind_host(override, host):
    override('auth_strategy', 'noauth')
    override('bind_host', host, group='api')
    with pytest.raises(exception.DCManagerException) as info:
        server.check_bind()
    assert 'noauth' in info.value.message
    assert host in info.value.message


@pytest.mark.parametrize('host', ['127.0.0.1', '127.0.1.7', '127.255.255.254', '::1',
                                  'localhost'])
def test_noauth_accepts_loopback(override, host):
    override('auth_strategy', 'noauth')
    override('bind_host', host, group='api')
    server.check_bind()


@pytest.mark.parametrize('host', ['0.0.0.0', '::', '127.0.0.1'])
def test_keystone_may_listen_anywhere(override, host):
    override('auth_strategy', 'keystone')
    override('bind_host', host, group='api')
    server.check_bind()


def test_site_is_still_noauth_on_loopback(site):
    # Runs after the tests above: their overrides are gone and the site's own override is back.
    assert CONF.auth_strategy == 'noauth'
    assert CONF.api.bind_host == '127.0.0.1'


def test_freeze_heap_takes_the_start_up_heap_out_of_collections():
    import gc

    kept = [object() for _ in range(10)]
    try:
        server.freeze_heap()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
