"""A real Keystone (from PyPI) on loopback, for the integration tests and ``tools/run-site --pair``:
``python keystone_server.py WORKDIR PORT``.

Writes ``WORKDIR/keystone.conf`` (SQLite, fernet tokens, fast bcrypt, no token caching so that a
revoked token is refused at once), bootstraps in this process (schema, key repositories, the admin
user/project/role, region RegionOne, identity endpoints at ``http://127.0.0.1:PORT/v3``), serves it
on 127.0.0.1:PORT, prints ``READY <url>`` and runs until SIGTERM or SIGINT (or until its parent is
gone). The admin password comes from the environment (``KEYSTONE_ADMIN_PASSWORD``), never from the
command line; so does the lifetime of its tokens in seconds (``KEYSTONE_TOKEN_EXPIRATION``, default
Keystone's 3600).

It runs as a child process because Keystone takes over the global ``oslo_config.cfg.CONF``: it must
never be imported by the process that starts it (``local_keystone.py`` does that).
"""

import os
import signal
import socket
import sys
import threading
import time

ADMIN_PASSWORD_ENV = 'KEYSTONE_ADMIN_PASSWORD'
TOKEN_EXPIRATION_ENV = 'KEYSTONE_TOKEN_EXPIRATION'
# Exit status when PORT cannot be bound.
PORT_TAKEN = 3

_CONF_TEMPLATE = """\
[DEFAULT]
log_file = {workdir}/keystone.log

[database]
connection = sqlite:///{workdir}/keystone.db

[token]
provider = fernet
expiration = {expiration}
# Off, with cache_on_issue, so that revocation acts at once (notes section 4).
caching = false
cache_on_issue = false

[fernet_tokens]
key_repository = {workdir}/fernet-keys
max_active_keys = 3

[fernet_receipts]
key_repository = {workdir}/fernet-keys

[credential]
key_repository = {workdir}/credential-keys

[identity]
# bcrypt cost: the default (12) makes every password authentication take ~0.5 s.
password_hash_rounds = 4

[cache]
# Never "enabled = false": keystone's request-local memoisation needs it (1.7 s per validation).
backend = dogpile.cache.memory
"""


def write_config(workdir, expiration=3600):
    path = os.path.join(workdir, 'keystone.conf')
    with open(path, 'w') as f:
        f.write(_CONF_TEMPLATE.format(workdir=workdir, expiration=expiration))
    return path


def build_app(conf_path, url, admin_password):
    """Configure keystone, create its schema, keys and bootstrap data; return its WSGI app."""
    # keystone calls CONF() with args=None, which would parse our own command line.
    sys.argv = sys.argv[:1]
    from keystone.cmd import bootstrap
    from keystone.common import fernet_utils, provider_api
    from keystone.common.sql import upgrades
    import keystone.conf
    from keystone.credential.providers import fernet as credential_fernet
    import keystone.server
    from keystone.server.flask import application
    from keystone.server.flask import core as flask_core

    conf = keystone.conf.CONF
    keystone.server.configure(config_files=[conf_path])
    upgrades.offline_sync_database_to_version()
    for repo, max_keys, group in (
            (conf.fernet_tokens.key_repository, conf.fernet_tokens.max_active_keys,
             'fernet_tokens'),
            (conf.credential.key_repository, credential_fernet.MAX_ACTIVE_KEYS, 'credential')):
        keys = fernet_utils.FernetUtils(repo, max_keys, group)
        keys.create_key_directory()
        keys.initialize_key_repository()

    # Bootstrapper loads the backends: it must come before the provider registry is locked.
    boot = bootstrap.Bootstrapper()
    boot.admin_username = 'admin'
    boot.admin_password = admin_password
    boot.project_name = 'admin'
    boot.admin_role_name = 'admin'
    boot.service_name = 'keystone'
    boot.region_id = 'RegionOne'
    boot.public_url = boot.internal_url = boot.admin_url = url
    boot.immutable_roles = True
    boot.bootstrap()
    provider_api.ProviderAPIs.lock_provider_registry()
    return flask_core.setup_app_middleware(application.application_factory('public'))


def _stop(*_):
    # Raised inside waitress's loop, which then shuts its worker threads down.
    raise SystemExit(0)


def _watch_parent(parent):
    """Stop when the test process is gone (killed without running its teardown)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write('usage: keystone_server.py WORKDIR PORT\n')
        return 2
    workdir, port = os.path.abspath(argv[1]), int(argv[2])
    url = 'http://127.0.0.1:%d/v3' % port
    admin_password = os.environ.get(ADMIN_PASSWORD_ENV, 'admin')
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    # Bind before the slow bootstrap, so that a taken port fails at once (and can be retried).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A fixed port (tools/run-site --pair) is bound again right after a stop, while the last
    # connections are in TIME_WAIT; two listeners on one port are still refused.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(('127.0.0.1', port))
    except OSError as e:
        sys.stderr.write('cannot bind 127.0.0.1:%d: %s\n' % (port, e))
        return PORT_TAKEN

    expiration = int(os.environ.get(TOKEN_EXPIRATION_ENV, '3600'))
    app = build_app(write_config(workdir, expiration), url, admin_password)

    import waitress

    # Listening once created; requests wait in the backlog until run().
    server = waitress.create_server(app, sockets=[sock], threads=4, expose_tracebacks=False,
                                    ident='keystone')
    print('READY %s' % url, flush=True)
    try:
        server.run()
    finally:
        server.close()
    print('STOPPED', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
