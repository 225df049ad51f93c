"""A real Keystone on loopback for a local dcmanager site: the integration tests' (through
``tests/integration/conftest.py``) and ``tools/run-site --pair``'s, so both bootstrap it the same
way.

``running(workdir)`` starts ``keystone_server.py`` as a child process (Keystone takes over the
global ``oslo_config.cfg.CONF``: it is never imported here), waits for its READY line and creates,
through Keystone's own API, the users of ``USERS`` (or those asked for) with random passwords that
are never logged; the child is stopped by its pid when the block ends. ``Keystone`` is the running
server: its users, tokens for them, its catalog, and the ``[keystone_authtoken]`` options of a
dcmanager site behind it.

Needs ``keystone`` (PyPI) in the Python that runs this module, and python-keystoneclient (which
keystonemiddleware, a dcmanager dependency, brings).
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

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client as ks_client

SERVER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'keystone_server.py')
# keystone_server.py's exit status when it cannot bind its port.
PORT_TAKEN = 3
START_TIMEOUT = 90
STOP_TIMEOUT = 10
PORT_ATTEMPTS = 3
DOMAIN = 'default'


@dataclasses.dataclass(frozen=True)
class User:
    name: str
    password: str = dataclasses.field(repr=False)
    project: str
    role: str


# name -> (project, role). The dcmanager user is the site's keystonemiddleware service user.
USERS = {
    'dc-reader': ('admin', 'reader'),
    # The site's operator.
    'dc-admin': ('admin', 'admin'),
    'tenant-admin': ('tenant1', 'admin'),
    'dcmanager': ('services', 'service'),
    # The peer site's service user: the peer role alone.
    'dc-peer': ('services', 'dcmanager-peer'),
}


class StartFailed(Exception):
    """Keystone exited or did not get ready; the message holds the end of its logs."""


class Keystone:
    """The running Keystone: its URL, its users, and tokens for them."""

    def __init__(self, url, admin_password):
        self.url = url
        self._admin_password = admin_password
        self.users = {}
        self.pid = None
        self.config_file = None

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

    def provision(self, users=None):
        """Create the projects, and the users of ``users`` (names in USERS; all by default) with
        their role on their project."""
        admin = ks_client.Client(session=self.session(system=True))
        roles = {r.name: r for r in admin.roles.list()}
        projects = {p.name: p for p in admin.projects.list()}
        for name in (USERS if users is None else users):
            project, role = USERS[name]
            if project not in projects:
                projects[project] = admin.projects.create(project, domain=DOMAIN)
            password = new_password()
            user = admin.users.create(name, domain=DOMAIN, password=password,
                                      default_project=projects[project])
            if role not in roles:
                roles[role] = admin.roles.create(role)
            admin.roles.grant(roles[role], user=user, project=projects[project])
            self.users[name] = User(name, password, project, role)

    def authtoken_options(self):
        """The ``[keystone_authtoken]`` options of a dcmanager site behind this Keystone (its
        ``dcmanager`` service user: it holds a password)."""
        user = self.users['dcmanager']
        return {
            'www_authenticate_uri': self.url,
            'auth_url': self.url,
            'auth_type': 'password',
            'username': user.name,
            'password': user.password,
            'project_name': user.project,
            'user_domain_id': DOMAIN,
            'project_domain_id': DOMAIN,
        }


def free_port():
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
    """The URL printed on the child's READY line; StartFailed with the child's logs otherwise.

    None if the child could not bind its port and this is not the last attempt.
    """
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        with open(os.path.join(workdir, 'child.log'), errors='replace') as f:
            for line in f:
                if line.startswith('READY '):
                    return line.split(None, 1)[1].strip()
        if proc.poll() is not None:
            if proc.returncode == PORT_TAKEN and not last_attempt:
                return None
            raise StartFailed('keystone exited with %s before it was ready:\n%s'
                              % (proc.returncode, _logs(workdir)))
        time.sleep(0.1)
    raise StartFailed('keystone was not ready after %d s:\n%s' % (START_TIMEOUT, _logs(workdir)))


def stop(proc):
    """SIGTERM the child by its pid, wait, SIGKILL if it does not go."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(STOP_TIMEOUT)


def new_password():
    """A random password that never begins with ``-``: a command line such as ``dcmanager
    --os-password <it>`` would otherwise read it as an option (argparse), as it would for an
    operator's password."""
    return 'k' + secrets.token_urlsafe(18)


@contextlib.contextmanager
def running(workdir, port=None, users=None, token_expiration=None):
    """A bootstrapped Keystone child on 127.0.0.1:``port`` (a free one if None, tried again on
    another if it was taken meanwhile), its data in ``workdir``, with the users of ``users``
    (all of USERS by default); stopped by its pid when the block ends. ``token_expiration``:
    its tokens' lifetime in seconds (Keystone's default if None)."""
    admin_password = new_password()
    env = dict(os.environ, KEYSTONE_ADMIN_PASSWORD=admin_password, PYTHONUNBUFFERED='1')
    if token_expiration is not None:
        env['KEYSTONE_TOKEN_EXPIRATION'] = str(token_expiration)
    attempts = PORT_ATTEMPTS if port is None else 1
    for attempt in range(1, attempts + 1):
        with open(os.path.join(workdir, 'child.log'), 'wb') as log:
            proc = subprocess.Popen(
                [sys.executable, SERVER_SCRIPT, workdir, str(port or free_port())],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                cwd=workdir)
        try:
            url = _wait_ready(proc, workdir, last_attempt=attempt == attempts)
            if url is None:
                continue  # the free port was taken meanwhile: another one
            server = Keystone(url, admin_password)
            server.pid = proc.pid
            server.config_file = os.path.join(workdir, 'keystone.conf')
            server.provision(users)
            yield server
            return
        finally:
            stop(proc)
    raise AssertionError('unreachable: the last attempt raises StartFailed')
