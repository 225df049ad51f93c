"""``tools/run-site --pair``: two dcmanager sites on one machine, peers of each other.

Site A (``site-a``) and site B (``site-b``) are each a ``dcmanager-all`` child process with its own
state directory (SQLite database, site key, system UUID) behind its own real Keystone
(``local_keystone.py``: the service user ``dcmanager``, the operator ``dc-admin``, the peer user
``dc-peer`` with the peer role alone, and the site's ``dcmanager`` endpoint in region
SystemController). Each site then holds a system peer for the other (that site's Keystone, its
peer user and password, its system controller gateway), so a newcomer can try geo-redundancy
with a few ``curl`` commands (README.md, "Two sites on one machine").

    python tools/site_pair.py [--state-dir DIR] [--subcloud-config FILE] [-- dcmanager-all args]

Run by ``tools/run-site --pair``, which starts the simulated fleet and passes the ``[subcloud]``
configuration that reaches it (``--subcloud-config``); the other arguments go to both sites'
``dcmanager-all`` after their own configuration. Environment (defaults in brackets):
``PAIR_STATE_DIR`` [``${XDG_DATA_HOME:-~/.local/share}/dcmanager-pair``], ``SITE_A_PORT`` [8119],
``SITE_B_PORT`` [8120], ``KEYSTONE_A_PORT`` [5000], ``KEYSTONE_B_PORT`` [5010].

Each start makes a new Keystone for each site (new passwords: the system peers are updated to
them); the sites' databases are kept. The operator's credentials are written to files of mode
0600 in the state directory, never printed, and the peer users' passwords go nowhere but to the
other site's API. SIGTERM or SIGINT stops the sites, then the Keystones, each by its pid.
"""

import argparse
import base64
import concurrent.futures
import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools import local_keystone  # noqa: E402 - after the path is set

START_WITHIN = 120
STOP_WITHIN = 30
# Keystone's tokens last this long, so that the exported ones outlive a demo (12 h).
TOKEN_SECONDS = 12 * 3600
USERS = ('dcmanager', 'dc-admin', 'dc-peer')
OPERATOR = 'dc-admin'
PEER_USER = 'dc-peer'
# A demo's pace: heartbeats, peer-group audits and subcloud audits every 10 s.
HEARTBEAT_INTERVAL = 10
SITE_OPTIONS = '[audit]\ninterval = 10\n[peer]\naudit_interval = 10\n'
_HTTP = requests.Session()
_HTTP.trust_env = False  # only 127.0.0.1 is asked: never through a proxy of the environment


@dataclasses.dataclass
class Site:
    """One site of the pair: where it lives and what it runs."""

    letter: str
    port: int
    keystone_port: int
    gateway: str
    workdir: str
    keystone: object = None
    proc: object = None

    @property
    def name(self):
        return 'site-' + self.letter.lower()

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def system_uuid(self):
        """The site's UUID, made at its first start and kept in its state directory."""
        path = os.path.join(self.workdir, 'system-uuid')
        if not os.path.exists(path):
            with open(path, 'w') as f:
                f.write(str(uuid.uuid4()) + '\n')
        with open(path) as f:
            return f.read().strip()

    def call(self, method, path, expect=(200,), **kwargs):
        """``method`` ``path`` (below /v1.0) as the operator; the decoded answer."""
        headers = {'X-Auth-Token': self.keystone.token(OPERATOR), 'Accept': 'application/json'}
        resp = _HTTP.request(method, self.url + '/v1.0/' + path, headers=headers, timeout=60,
                             **kwargs)
        if resp.status_code not in expect:
            raise RuntimeError('%s %s on %s: %d %s' % (method, path, self.name,
                                                       resp.status_code, resp.text[:500]))
        return resp


def _sites(state_dir):
    env = os.environ.get
    return [Site('A', int(env('SITE_A_PORT', '8119')), int(env('KEYSTONE_A_PORT', '5000')),
                 '127.19.0.1', os.path.join(state_dir, 'site-a')),
            Site('B', int(env('SITE_B_PORT', '8120')), int(env('KEYSTONE_B_PORT', '5010')),
                 '127.19.0.2', os.path.join(state_dir, 'site-b'))]


def _private(path, text):
    """Write ``text`` to ``path``, readable by its owner only (it holds a secret)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)


def _at_once(call, items):
    """``call(item)`` for each item in its own thread; the results, or the first error."""
    with concurrent.futures.ThreadPoolExecutor(len(items)) as pool:
        futures = [pool.submit(call, item) for item in items]
    return [future.result() for future in futures]


def _start_keystones(stack, sites):
    """A new Keystone for each site, side by side; ``stack`` stops each by its pid."""
    def start(site):
        workdir = os.path.join(site.workdir, 'keystone')
        shutil.rmtree(workdir, ignore_errors=True)
        os.makedirs(workdir)
        own = contextlib.ExitStack()
        try:
            site.keystone = own.enter_context(local_keystone.running(
                workdir, site.keystone_port, USERS, token_expiration=TOKEN_SECONDS))
        except BaseException:
            own.close()
            raise
        return own

    with concurrent.futures.ThreadPoolExecutor(len(sites)) as pool:
        futures = [pool.submit(start, site) for site in sites]
    for future in futures:
        if future.exception() is None:
            stack.push(future.result().__exit__)
    for future in futures:
        future.result()


def _write_config(site):
    """The site's own configuration file (mode 0600: it holds the service user's password)."""
    authtoken = ''.join('%s = %s\n' % item for item in site.keystone.authtoken_options().items())
    path = os.path.join(site.workdir, 'dcmanager.conf')
    _private(path, (
        '[DEFAULT]\nstate_path = %(state)s\nauth_strategy = keystone\nsystem_name = %(name)s\n'
        'system_uuid = %(uuid)s\nhost = %(name)s\n'
        '[api]\nbind_host = 127.0.0.1\nbind_port = %(port)d\n'
        '[keystone_authtoken]\n%(authtoken)s%(options)s')
        % {'state': os.path.join(site.workdir, 'state'), 'name': site.name,
           'uuid': site.system_uuid(), 'port': site.port, 'authtoken': authtoken,
           'options': SITE_OPTIONS})
    return path


def _start_site(site, config_files, extra):
    """``dcmanager-all`` of ``site`` as a child (output appended to its ``site.log``), once
    ``GET /`` answers."""
    program = os.path.join(os.path.dirname(sys.executable), 'dcmanager-all')
    argv = [program]
    for path in config_files:
        argv += ['--config-file', path]
    log_path = os.path.join(site.workdir, 'site.log')
    with open(log_path, 'ab') as log:
        site.proc = subprocess.Popen([*argv, *extra], stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, cwd=site.workdir)
    deadline = time.monotonic() + START_WITHIN
    while True:
        if site.proc.poll() is not None:
            raise RuntimeError('%s exited with %s; the end of %s:\n%s' % (
                site.name, site.proc.returncode, log_path, _tail(log_path)))
        try:
            _HTTP.get(site.url + '/', timeout=(5, 30))
            return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError('%s not answering %s after %d s; see %s' % (
                site.name, site.url, START_WITHIN, log_path))
        time.sleep(0.2)


def _stop_site(site):
    """SIGTERM the site's process by its pid; SIGKILL if it has not exited in time."""
    if site.proc is None or site.proc.poll() is not None:
        return
    os.kill(site.proc.pid, signal.SIGTERM)
    try:
        site.proc.wait(STOP_WITHIN)
    except subprocess.TimeoutExpired:
        os.kill(site.proc.pid, signal.SIGKILL)
        site.proc.wait()


def _tail(path, size=3000):
    with open(path, errors='replace') as f:
        return f.read()[-size:]


def _peer_fields(peer):
    """What a site's system peer for ``peer`` holds (the peer user's password, base64)."""
    user = peer.keystone.users[PEER_USER]
    return {'peer_uuid': peer.system_uuid(), 'peer_name': peer.name,
            'manager_endpoint': peer.keystone.url, 'manager_username': user.name,
            'manager_password': base64.b64encode(user.password.encode()).decode(),
            'peer_controller_gateway_address': peer.gateway,
            'heartbeat_interval': str(HEARTBEAT_INTERVAL)}


def _make_peer(site, peer):
    """``site``'s system peer for ``peer``: created, or updated to ``peer``'s new Keystone
    (a restart makes new passwords)."""
    fields = _peer_fields(peer)
    ref = fields['peer_uuid']
    if site.call('GET', 'system-peers/' + ref, expect=(200, 404)).status_code == 404:
        return site.call('POST', 'system-peers', json=fields).json()
    changed = {k: v for k, v in fields.items() if k not in ('peer_uuid', 'peer_name')}
    return site.call('PATCH', 'system-peers/' + ref, json=changed).json()


def _write_credentials(state_dir, sites):
    """``demo.env`` (the sites' URLs and an operator's token for each) and each site's
    ``openrc`` (the operator's credentials, for the dcmanager or openstack CLI), mode 0600."""
    lines = ['# tools/run-site --pair: source this file (rewritten at each start).']
    for site in sites:
        lines.append('export SITE_%s=%s TOKEN_%s=%s' % (site.letter, site.url, site.letter,
                                                        site.keystone.token(OPERATOR)))
        user = site.keystone.users[OPERATOR]
        _private(os.path.join(site.workdir, 'openrc'), ''.join(
            'export %s=%s\n' % item for item in (
                ('OS_AUTH_URL', site.keystone.url), ('OS_USERNAME', user.name),
                ('OS_PASSWORD', user.password), ('OS_PROJECT_NAME', user.project),
                ('OS_USER_DOMAIN_ID', local_keystone.DOMAIN),
                ('OS_PROJECT_DOMAIN_ID', local_keystone.DOMAIN),
                ('OS_REGION_NAME', 'SystemController'), ('OS_IDENTITY_API_VERSION', '3'),
                ('OS_INTERFACE', 'public'))))
    path = os.path.join(state_dir, 'demo.env')
    _private(path, '\n'.join(lines) + '\n')
    return path


def _announce(state_dir, sites, env_file):
    for site in sites:
        print('%s (%s): %s, Keystone %s, pid %d, log %s' % (
            site.letter, site.name, site.url, site.keystone.url, site.proc.pid,
            os.path.join(site.workdir, 'site.log')))
    a, b = sites
    print('system peers: %s -> %s and %s -> %s (heartbeat every %d s once a group is '
          'associated)' % (a.name, b.name, b.name, a.name, HEARTBEAT_INTERVAL))
    print('operator %s on both sites; paste this to get $SITE_A, $SITE_B and a token for each '
          '($TOKEN_A, $TOKEN_B, valid %d h):' % (OPERATOR, TOKEN_SECONDS // 3600))
    print('  source %s' % env_file)
    print('  curl -s -H "X-Auth-Token: $TOKEN_A" $SITE_A/v1.0/system-peers')
    print('the operator\'s credentials for the dcmanager CLI: source %s (or site-b/openrc)'
          % os.path.join(a.workdir, 'openrc'))
    print('READY', flush=True)


def _run(args, stop):
    state_dir = os.path.abspath(args.state_dir)
    sites = _sites(state_dir)
    for site in sites:
        os.makedirs(os.path.join(site.workdir, 'state'), exist_ok=True)
    config = [args.subcloud_config] if args.subcloud_config else []
    with contextlib.ExitStack() as stack:
        _start_keystones(stack, sites)
        for site in sites:
            site.keystone.register_endpoint('dcmanager', site.url + '/v1.0')
        stack.callback(_at_once, _stop_site, sites)
        _at_once(lambda site: _start_site(site, [*config, _write_config(site)], args.extra),
                 sites)
        a, b = sites
        _make_peer(a, b)
        _make_peer(b, a)
        _announce(state_dir, sites, _write_credentials(state_dir, sites))
        while not stop.is_set():
            for site in sites:
                if site.proc.poll() is not None:
                    raise RuntimeError('%s exited with %s; see %s' % (
                        site.name, site.proc.returncode, os.path.join(site.workdir, 'site.log')))
            stop.wait(1)
    return 0


class _Stop:
    """Set by SIGTERM or SIGINT: the main loop ends and every child is stopped by its pid."""

    def __init__(self):
        self._set = False

    def set(self, *_):
        if self._set:
            return
        self._set = True
        # Interrupt a start in progress too; the ExitStack stops what had started.
        raise KeyboardInterrupt

    def is_set(self):
        return self._set

    def wait(self, seconds):
        time.sleep(seconds)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index('--') + 1:] if '--' in argv else []
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--subcloud-config', help="the simulator's [subcloud] configuration")
    parser.add_argument('--state-dir', default=os.environ.get('PAIR_STATE_DIR') or os.path.join(
        os.environ.get('XDG_DATA_HOME') or os.path.expanduser('~/.local/share'),
        'dcmanager-pair'))
    args = parser.parse_args(argv[:len(argv) - len(extra) - (1 if '--' in argv else 0)])
    args.extra = extra
    stop = _Stop()
    signal.signal(signal.SIGTERM, stop.set)
    signal.signal(signal.SIGINT, stop.set)
    try:
        return _run(args, stop)
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, local_keystone.StartFailed, requests.RequestException) as e:
        print('run-site --pair: %s' % e, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
