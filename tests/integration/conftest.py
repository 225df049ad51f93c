"""Integration fixtures: a real Keystone in a child process, and the API behind keystonemiddleware.

Keystone runs from ``keystone_server.py`` (it must never be imported here: it takes over the global
``cfg.CONF``), once per session, on a free 127.0.0.1 port; it is stopped by its pid. The users are
created through Keystone's own API with random passwords that are never logged.
"""

import contextlib
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import time

from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client as ks_client
from keystonemiddleware import auth_token
import pytest

from dcmanager.conf import CONF
from tests.integration import keystone_server

SERVER_SCRIPT = keystone_server.__file__
START_TIMEOUT = 90
STOP_TIMEOUT = 10
PORT_ATTEMPTS = 3
AUTHTOKEN_GROUP = 'keystone_authtoken'
# Short, so that a revoked token is refused quickly (the middleware caches valid tokens).
TOKEN_CACHE_TIME = 1
DOMAIN = 'default'


@dataclasses.dataclass(frozen=True)
class User:
    name: str
    password: str = dataclasses.field(repr=False)
    project: str
    role: str


# name -> (project, role). The dcmanager user is the middleware's service user.
USERS = {
    'dc-reader': ('admin', 'reader'),
    'dc-admin': ('admin', 'admin'),
    'tenant-admin': ('tenant1', 'admin'),
    'dcmanager': ('services', 'service'),
    # The peer site's service user: the peer role alone.
    'dc-peer': ('services', 'dcmanager-peer'),
}


class Keystone:
    """The running Keystone: its URL, its users, and tokens for them."""

    def __init__(self, url, admin_password):
        self.url = url
        self._admin_password = admin_password
        self.users = {}

    def session(self, user=None, system=False):
        """A keystoneauth session of ``user`` (a name in USERS) or of the bootstrap admin."""
        if user is None:
            name, password, project = 'admin', self._admin_password, 'admin'
        else:
            u = self.users[user]
            name, password, project = u.name, u.password, u.project
        scope = ({'system_scope': 'all'} if system else
                 {'project_name': project, 'project_domain_id': DOMAIN})
        auth = v3.Password(auth_url=self.url, username=name, password=password,
                           user_domain_id=DOMAIN, **scope)
        return ks_session.Session(auth=auth)

    def token(self, user):
        """A fresh project-scoped token of ``user``."""
        return self.session(user).get_token()

    @contextlib.contextmanager
    def frozen(self):
        """Keystone stopped (SIGSTOP) and continued after: it accepts connections (the kernel
        queues them) and answers none."""
        os.kill(self.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.pid, signal.SIGCONT)

    def revoke(self, token):
        """DELETE /v3/auth/tokens as the system admin."""
        ks_client.Client(session=self.session(system=True)).tokens.revoke_token(token)

    def register_endpoint(self, service_type, url, interface='public',
                          region='SystemController'):
        """Put ``url`` in the catalog: the service of ``service_type`` (created if needed) at
        ``interface`` in ``region`` (created if needed)."""
        admin = ks_client.Client(session=self.session(system=True))
        services = [s for s in admin.services.list() if s.type == service_type]
        service = services[0] if services else admin.services.create(
            name=service_type, type=service_type)
        if region not in [r.id for r in admin.regions.list()]:
            admin.regions.create(id=region)
        admin.endpoints.create(service=service, url=url, interface=interface, region=region)

    def provision(self):
        """Create the projects, and the users of USERS with their role on their project."""
        admin = ks_client.Client(session=self.session(system=True))
        roles = {r.name: r for r in admin.roles.list()}
        projects = {p.name: p for p in admin.projects.list()}
        for name, (project, role) in USERS.items():
            if project not in projects:
                projects[project] = admin.projects.create(project, domain=DOMAIN)
            password = secrets.token_urlsafe(18)
            user = admin.users.create(name, domain=DOMAIN, password=password,
                                      default_project=projects[project])
            if role not in roles:
                roles[role] = admin.roles.create(role)
            admin.roles.grant(roles[role], user=user, project=projects[project])
            self.users[name] = User(name, password, project, role)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _log_tail(path, lines=40):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return '(none)\n'


def _logs(workdir):
    """The child's output and the end of keystone's own log (neither holds a password)."""
    return '--- output ---\n%s--- keystone.log ---\n%s' % (
        _log_tail(os.path.join(workdir, 'child.log')),
        _log_tail(os.path.join(workdir, 'keystone.log')))


def _wait_ready(proc, workdir, last_attempt=True):
    """The URL printed on the child's READY line; fails with the child's logs otherwise.

    None if the child could not bind its port and this is not the last attempt.
    """
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        with open(os.path.join(workdir, 'child.log'), errors='replace') as f:
            for line in f:
                if line.startswith('READY '):
                    return line.split(None, 1)[1].strip()
        if proc.poll() is not None:
            if proc.returncode == keystone_server.PORT_TAKEN and not last_attempt:
                return None
            pytest.fail('keystone exited with %s before it was ready:\n%s'
                        % (proc.returncode, _logs(workdir)), pytrace=False)
        time.sleep(0.1)
    pytest.fail('keystone was not ready after %d s:\n%s' % (START_TIMEOUT, _logs(workdir)),
                pytrace=False)


def _stop(proc):
    """SIGTERM the child by its pid, wait, SIGKILL if it does not go."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(STOP_TIMEOUT)


@pytest.fixture(scope='session')
def keystone(tmp_path_factory):
    """A bootstrapped Keystone on 127.0.0.1 with the users of USERS; stopped at session end."""
    with start_keystone(str(tmp_path_factory.mktemp('keystone'))) as server:
        yield server


@contextlib.contextmanager
def start_keystone(workdir):
    """A bootstrapped Keystone child on a free 127.0.0.1 port, its data in ``workdir``, with
    the users of USERS; stopped by its pid when the block ends."""
    admin_password = secrets.token_urlsafe(18)
    env = dict(os.environ, KEYSTONE_ADMIN_PASSWORD=admin_password, PYTHONUNBUFFERED='1')
    for attempt in range(1, PORT_ATTEMPTS + 1):
        with open(os.path.join(workdir, 'child.log'), 'wb') as log:
            proc = subprocess.Popen(
                [sys.executable, SERVER_SCRIPT, workdir, str(_free_port())],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                cwd=workdir)
        try:
            url = _wait_ready(proc, workdir, last_attempt=attempt == PORT_ATTEMPTS)
            if url is None:
                continue  # the free port was taken meanwhile: another one
            server = Keystone(url, admin_password)
            server.pid = proc.pid
            server.config_file = os.path.join(workdir, 'keystone.conf')
            server.provision()
            yield server
            return
        finally:
            _stop(proc)
    raise AssertionError('unreachable: the last attempt fails the test')


def _authtoken_options(keystone):
    user = keystone.users['dcmanager']
    return {
        'www_authenticate_uri': keystone.url,
        'auth_url': keystone.url,
        'auth_type': 'password',
        'username': user.name,
        'password': user.password,
        'project_name': user.project,
        'user_domain_id': DOMAIN,
        'project_domain_id': DOMAIN,
        'token_cache_time': TOKEN_CACHE_TIME,
    }


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
