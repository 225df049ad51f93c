"""Two real dcmanager sites for the geo-redundancy tests (and benchmarks): A and B.

Each site is a ``dcmanager-all`` child process with its own state directory (SQLite database,
site key), its own fixed system UUID and name (``site-a``, ``site-b``), and its own real Keystone
child process (``conftest.start_keystone``, i.e. ``tools/local_keystone.py``; the two start side by
side), where:

- ``dcmanager`` is the site's keystonemiddleware service user;
- ``dc-admin`` (admin of project admin) is the site's operator;
- ``dc-peer`` holds only the peer role (``dcmanager-peer``, project services): the other site's
  system peer for this one names it;
- the catalog has the ``dcmanager`` service's public endpoint ``http://127.0.0.1:<port>/v1.0``
  in region SystemController (where the other site's peer client finds it).

Both sites reach subclouds through one simulator (plain HTTP, its ports in ``[subcloud]``).
``Site.stop()`` stops the site's process by its pid (SIGTERM: a graceful stop; its database
stays), ``kill()`` kills it (SIGKILL: a crash, nothing of it runs its stop) and ``start()``
starts it again on the same port; ``hung()`` freezes it for a block (SIGSTOP, then SIGCONT
whatever happens): its API accepts connections and never answers, a peer that hangs.
Everything is stopped by its pid when the block ends.
Only 127.0.0.1 (sites, Keystones) and the simulator's 127.0.1.x addresses are used.
``sites`` starts any number of them the same way (one, for a benchmark of a single site).
"""

import base64
import concurrent.futures
import contextlib
import dataclasses
import os
import signal
import sqlite3
import uuid

import requests

from tests.integration import conftest as integration
from tests.integration.test_keystone_hung import start_site_process, stop_site_process
from tests.services import free_port

START_WITHIN = 90
STOP_WITHIN = 30
PEER_USER = 'dc-peer'
ADMIN_USER = 'dc-admin'


@dataclasses.dataclass
class Site:
    """One running site: its API, its Keystone and its identity."""

    name: str
    system_uuid: str
    keystone: object
    workdir: str
    port: int
    gateway: str
    options: str = ''
    proc: object = None

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def token(self, user=ADMIN_USER):
        return self.keystone.token(user)

    def call(self, method, path, user=ADMIN_USER, expect=200, **kwargs):
        """``method`` ``path`` (below /v1.0) on the site's API as ``user``; the response,
        whose status must be ``expect`` (None: any)."""
        headers = dict(kwargs.pop('headers', {}), **{'X-Auth-Token': self.token(user),
                                                   'Accept': 'application/json'})
        resp = requests.request(method, self.url + '/v1.0/' + path.lstrip('/'),
                                headers=headers, timeout=60, **kwargs)
        if expect is not None:
            assert resp.status_code == expect, '%s %s: %s %s' % (
                method, path, resp.status_code, resp.text[:2000])
        return resp

    def get(self, path, **kwargs):
        return self.call('GET', path, **kwargs).json()

    def peer_credentials(self):
        """What the other site's system peer for this one holds."""
        peer = self.keystone.users[PEER_USER]
        return {'peer_uuid': self.system_uuid, 'peer_name': self.name,
                'manager_endpoint': self.keystone.url, 'manager_username': peer.name,
                'manager_password': base64.b64encode(peer.password.encode()).decode(),
                'peer_controller_gateway_address': self.gateway}

    # ------------------------------------------------------------------ the process

    def config(self, sim=None):
        path = os.path.join(self.workdir, 'dcmanager.conf')
        with open(path, 'w') as f:
            f.write(
                '[DEFAULT]\nstate_path = %(state)s\nauth_strategy = keystone\n'
                'system_name = %(name)s\nsystem_uuid = %(uuid)s\nhost = %(name)s\n'
                '[api]\nbind_host = 127.0.0.1\nbind_port = %(port)d\n'
                '[subcloud]\nscheme = http\nidentity_port = %(identity)d\n'
                'agent_port = %(agent)d\nadmin_username = admin\n'
                '[keystone_authtoken]\n%(authtoken)s%(options)s'
                % {'state': os.path.join(self.workdir, 'state'), 'name': self.name,
                   'uuid': self.system_uuid, 'port': self.port,
                   'identity': sim.identity_port if sim else 5001,
                   'agent': sim.agent_port if sim else 8326,
                   'authtoken': ''.join('%s = %s\n' % item for item in
                                        self.keystone.authtoken_options().items()),
                   'options': self.options})
        return path

    def start(self):
        """Start the site's process (same port, same database) and wait until it answers."""
        self.proc = start_site_process(
            self.workdir, os.path.join(self.workdir, 'dcmanager.conf'), self.url,
            env=dict(os.environ, no_proxy='127.0.0.1,localhost', NO_PROXY='127.0.0.1'),
            timeout=START_WITHIN)
        return self

    def stop(self):
        """Stop the site's process by its pid (its database stays)."""
        if self.proc is not None:
            stop_site_process(self.proc, STOP_WITHIN)

    def kill(self):
        """Kill the site's process by its pid (SIGKILL: a crash mid-way, nothing of its stop
        runs) and wait for it (its database stays)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=STOP_WITHIN)

    @contextlib.contextmanager
    def hung(self):
        """The site's process frozen for the block (SIGSTOP by its pid): its sockets accept
        connections and nothing answers, as a site that hangs. SIGCONT at the end, also when
        the block fails (a frozen child would never stop)."""
        os.kill(self.proc.pid, signal.SIGSTOP)
        try:
            yield self
        finally:
            os.kill(self.proc.pid, signal.SIGCONT)

    def write_database(self, statement, **params):
        """Run one SQL write on the site's own database while it runs (SQLite): what a later
        part (a migration) writes, made here by hand."""
        path = os.path.join(self.workdir, 'state', 'dcmanager.sqlite')
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn, conn:
            return conn.execute(statement, params).rowcount

    def read_database(self, statement, **params):
        """The rows of one SQL query on the site's own database (SQLite), as dicts: what the
        API never shows (rehome data, the secrets column), read to check how it is stored."""
        path = os.path.join(self.workdir, 'state', 'dcmanager.sqlite')
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(row) for row in conn.execute(statement, params)]

    def log_tail(self, size=4000):
        with open(os.path.join(self.workdir, 'site.log'), errors='replace') as f:
            return f.read()[-size:]

    def log_text(self):
        with open(os.path.join(self.workdir, 'site.log'), errors='replace') as f:
            return f.read()


def _at_once(call, items):
    """``call(item)`` for each item in its own thread (a Keystone or a site takes seconds to
    start); their results, once all are done, or the first error."""
    with concurrent.futures.ThreadPoolExecutor(len(items)) as pool:
        futures = [pool.submit(call, item) for item in items]
    return [future.result() for future in futures]


def _keystones(stack, workdirs):
    """A Keystone in each of ``workdirs``, started side by side; ``stack`` stops each one,
    also when another one failed to start."""
    def start(workdir):
        own = contextlib.ExitStack()
        try:
            return own, own.enter_context(integration.start_keystone(workdir))
        except BaseException:
            own.close()
            raise

    with concurrent.futures.ThreadPoolExecutor(len(workdirs)) as pool:
        futures = [pool.submit(start, workdir) for workdir in workdirs]
    for future in futures:
        if future.exception() is None:
            stack.push(future.result()[0].__exit__)
    return [future.result()[1] for future in futures]


NAMES = (('site-a', '127.0.2.1'), ('site-b', '127.0.2.2'))


@contextlib.contextmanager
def sites(workdir, names=NAMES, sim=None, options='', prepare=None):
    """The sites of ``names`` ((name, gateway) pairs), running, each with its Keystone; every
    process stopped by its pid at the end. ``sim``: the simulator their subclouds are reached
    at (none: no subcloud is reached); ``options``: more configuration lines for every site;
    ``prepare(site)``: called with each site's configuration written, before it starts (a
    benchmark fills its database)."""
    with contextlib.ExitStack() as stack:
        for name, _ in names:
            os.makedirs(os.path.join(workdir, name, 'keystone'))
        keystones = _keystones(stack, [os.path.join(workdir, name, 'keystone')
                                       for name, _ in names])
        started = []
        for (name, gateway), keystone in zip(names, keystones, strict=True):
            site = Site(name=name, system_uuid=str(uuid.uuid4()), keystone=keystone,
                        workdir=os.path.join(workdir, name), port=free_port(),
                        gateway=gateway, options=options)
            keystone.register_endpoint('dcmanager', site.url + '/v1.0')
            site.config(sim)
            if prepare is not None:
                prepare(site)
            started.append(site)
        # Stopped side by side too: each stop waits for its process to exit.
        stack.callback(_at_once, Site.stop, started)
        _at_once(Site.start, started)
        yield started


@contextlib.contextmanager
def two_sites(workdir, sim=None, options='', prepare=None):
    """Sites A and B, running, each with its Keystone (see ``sites``)."""
    with sites(workdir, NAMES, sim, options, prepare) as (a, b):
        yield a, b
