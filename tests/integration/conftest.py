"""Integration fixtures: a real Keystone in a child process, and the API behind keystonemiddleware.

Keystone runs from ``tools/keystone_server.py``, started by ``tools/local_keystone.py`` (also what
``tools/run-site --pair`` uses; it must never be imported here: it takes over the global
``cfg.CONF``), once per session, on a free 127.0.0.1 port; it is stopped by its pid. The users are
created through Keystone's own API with random passwords that are never logged.
"""

import contextlib

from keystoneauth1 import loading as ks_loading
from keystonemiddleware import auth_token
import pytest

from dcmanager.conf import CONF
from tools import local_keystone

AUTHTOKEN_GROUP = 'keystone_authtoken'
# Short, so that a revoked token is refused quickly (the middleware caches valid tokens).
TOKEN_CACHE_TIME = 1


@pytest.fixture(scope='session')
def keystone(tmp_path_factory):
    """A bootstrapped Keystone on 127.0.0.1 with the users of USERS; stopped at session end."""
    with start_keystone(str(tmp_path_factory.mktemp('keystone'))) as server:
        yield server


@contextlib.contextmanager
def start_keystone(workdir):
    """A bootstrapped Keystone child on a free 127.0.0.1 port, its data in ``workdir``, with
    the users of USERS; stopped by its pid when the block ends."""
    try:
        with local_keystone.running(workdir) as server:
            yield server
    except local_keystone.StartFailed as e:
        pytest.fail(str(e), pytrace=False)


def _authtoken_options(keystone):
    return dict(keystone.authtoken_options(), token_cache_time=TOKEN_CACHE_TIME)


def _unregister(conf, opts, group):
    # keystonemiddleware registers the password plugin's options (auth_url is required) on the
    # global CONF; left there, the next CONF(...) of this process raises RequiredOptError.
    # ConfigOpts.unregister_opt refuses once the command line is parsed (a guard meant for CLI
    # options); these are plain group options, so drop them (and their overrides) from the group.
    for opt in opts:
        conf._get_group(group)._unregister_opt(opt)


@pytest.fixture(scope='module')
def keystone_auth(site, keystone):
    """Switch the global CONF to ``auth_strategy = keystone`` against ``keystone``; undo after.

    Applies to every app built by ``site.app()`` while active.
    """
    for group, opts in auth_token.list_opts():
        CONF.register_opts(opts, group=group)
    ks_loading.register_auth_conf_options(CONF, AUTHTOKEN_GROUP)
    group = CONF[AUTHTOKEN_GROUP]
    plugin_opts = [o for o in ks_loading.get_auth_plugin_conf_options('password')
                   if o.dest not in group]
    CONF.register_opts(plugin_opts, group=AUTHTOKEN_GROUP)
    previous_strategy = CONF.auth_strategy
    options = _authtoken_options(keystone)
    for name, value in options.items():
        CONF.set_override(name, value, group=AUTHTOKEN_GROUP)
    CONF.set_override('auth_strategy', 'keystone')
    try:
        yield keystone
    finally:
        _unregister(CONF, plugin_opts, AUTHTOKEN_GROUP)
        for name in options:
            if name in group:
                CONF.clear_override(name, group=AUTHTOKEN_GROUP)
        # Also clears oslo.config's value cache.
        CONF.set_override('auth_strategy', previous_strategy)


@pytest.fixture
def keystone_api(site, keystone_auth):
    """The API behind keystonemiddleware (a new stack, so an empty token cache); the database is
    emptied after the test."""
    yield site.app()
    site.reset_database()
