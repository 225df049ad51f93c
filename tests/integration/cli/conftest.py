"""The sites the CLI tests run ``dcmanager`` against, shared by the whole session.

- ``cli_sim``: one simulated fleet (``SIM_COUNT`` subclouds on 127.0.1.x, the admin password of
  ``tests/subcloud_forms.py``, rehomes of half a second) that every site below reaches. The
  single site uses the first ``NOAUTH_ADDRESSES`` subclouds, the two sites the rest, so they
  never audit the same subcloud.
- ``noauth_site``: a ``dcmanager-all`` child process (``auth_strategy = noauth``, SQLite) on a
  free 127.0.0.1 port, auditing every few seconds; ``noauth_site.cli`` is the CLI in token-and-URL
  mode (``--dcmanager-url``, no Keystone).
- ``geo``: sites A and B of ``tests/integration/two_sites.py``, each behind its own real
  Keystone; ``geo.cli(site)`` is the CLI in Keystone password mode as the site's operator. The
  test sites' catalogs hold only a ``public`` dcmanager endpoint, so it passes
  ``--os-interface public`` (as ``OS_INTERFACE``).

Every process is stopped by its pid at the end of the session; only 127.x addresses are used.
"""

import dataclasses
import os
import time

import pytest
import requests

from tests import subcloud_forms as forms
from tests.integration import sim_fixture, two_sites
from tests.integration.cli import harness
from tests.integration.test_keystone_hung import start_site_process, stop_site_process
from tests.services import free_port

SIM_COUNT = 9
NOAUTH_ADDRESSES = 3
START_WITHIN = 90
SITE_OPTIONS = ('[audit]\ninterval = 3\nscan_interval = 0.5\n')
GEO_OPTIONS = ('[peer]\naudit_interval = 5\nmigration_online_timeout = 60\n'
               '[audit]\ninterval = 3\nscan_interval = 0.5\n')
DOMAIN = 'Default'


def wait_for(what, check, timeout=90.0, interval=0.3):
    """``check()``'s first truthy value; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, 'not %s after %s s' % (what, timeout)
        time.sleep(interval)


@pytest.fixture(scope='session')
def cli_sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'cli-sim', count=SIM_COUNT,
                                   admin_password=forms.ADMIN_PASSWORD, rehome_seconds=0.5)


@dataclasses.dataclass
class NoauthSite:
    """The running noauth site: its URL, its process, the CLI that reaches it."""

    url: str
    workdir: str
    proc: object
    cli: harness.Cli
    addresses: list

    def api(self, method, path, expect=200, **kwargs):
        """``method`` ``path`` (below /v1.0) straight on the API (what the CLI should show)."""
        resp = requests.request(method, '%s/v1.0/%s' % (self.url, path.lstrip('/')),
                                headers={'Accept': 'application/json'}, timeout=60, **kwargs)
        if expect is not None:
            assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        return resp

    def get(self, path):
        return self.api('GET', path).json()

    def log_tail(self, size=4000):
        with open(os.path.join(self.workdir, 'site.log'), errors='replace') as f:
            return f.read()[-size:]


def _noauth_config(workdir, port, sim):
    path = os.path.join(workdir, 'dcmanager.conf')
    with open(path, 'w') as f:
        f.write('[DEFAULT]\nstate_path = %s\nauth_strategy = noauth\nsystem_name = cli-site\n'
                'host = cli-site\n[api]\nbind_host = 127.0.0.1\nbind_port = %d\n'
                '[subcloud]\nscheme = http\nidentity_port = %d\nagent_port = %d\n'
                'admin_username = admin\n%s'
                % (os.path.join(workdir, 'state'), port, sim.identity_port, sim.agent_port,
                   SITE_OPTIONS))
    return path


@pytest.fixture(scope='session')
def noauth_site(tmp_path_factory, cli_sim):
    workdir = str(tmp_path_factory.mktemp('cli-noauth-site'))
    port = free_port()
    url = 'http://127.0.0.1:%d' % port
    proc = start_site_process(workdir, _noauth_config(workdir, port, cli_sim), url,
                              env=dict(os.environ, no_proxy='127.0.0.1', NO_PROXY='127.0.0.1'),
                              timeout=START_WITHIN)
    try:
        cli = harness.Cli(os.path.join(workdir, 'home'), args=['--dcmanager-url', url],
                          secrets=forms.ALL_PASSWORDS)
        yield NoauthSite(url, workdir, proc, cli, cli_sim.addresses[:NOAUTH_ADDRESSES])
    finally:
        stop_site_process(proc)


@pytest.fixture
def bare_cli(tmp_path):
    """The CLI with no configuration at all, in a home of the test's own."""
    return harness.Cli(tmp_path / 'home', secrets=forms.ALL_PASSWORDS)


@dataclasses.dataclass
class Geo:
    """Sites A and B (two_sites.Site) and the fleet they reach."""

    a: object
    b: object
    sim: object
    home: str

    @property
    def addresses(self):
        return self.sim.addresses[NOAUTH_ADDRESSES:]

    def secrets(self):
        """Every password of both Keystones (and the fleet's)."""
        found = list(forms.ALL_PASSWORDS)
        for site in (self.a, self.b):
            found += [user.password for user in site.keystone.users.values()]
            found.append(site.keystone._admin_password)
        return found

    def keystone_env(self, site, user=two_sites.ADMIN_USER):
        """OS_* variables of ``user`` on ``site``'s Keystone (password mode), public interface."""
        account = site.keystone.users[user]
        return {'OS_AUTH_URL': site.keystone.url, 'OS_USERNAME': account.name,
                'OS_PASSWORD': account.password, 'OS_PROJECT_NAME': account.project,
                'OS_USER_DOMAIN_NAME': DOMAIN, 'OS_PROJECT_DOMAIN_NAME': DOMAIN,
                'OS_REGION_NAME': 'SystemController', 'OS_INTERFACE': 'public'}

    def cli(self, site, home=None):
        """The CLI as ``site``'s operator, Keystone password mode from the environment."""
        return harness.Cli(home or os.path.join(self.home, site.name),
                           env=self.keystone_env(site), secrets=self.secrets())


@pytest.fixture(scope='session')
def geo(tmp_path_factory, cli_sim):
    workdir = str(tmp_path_factory.mktemp('cli-geo'))
    with two_sites.two_sites(os.path.join(workdir, 'sites'), cli_sim,
                             options=GEO_OPTIONS) as (a, b):
        yield Geo(a, b, cli_sim, os.path.join(workdir, 'home'))


def consistent(read_api, run_cli, attempts=10):
    """(API value, CLI value) read while the server's answer did not change: the API read
    before and after the CLI run are equal (a site's audits move statuses and timestamps
    at any moment, so a comparison of one read with the other could race)."""
    for _ in range(attempts):
        before = read_api()
        shown = run_cli()
        if read_api() == before:
            return before, shown
        time.sleep(0.5)
    raise AssertionError('the server\'s answer kept changing during %d CLI runs' % attempts)
