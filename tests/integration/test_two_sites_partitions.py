"""Partitions interleaved with migrations between two real sites (``two_sites.py``), in several
orders; after each step, at most one site leads each group and no subcloud is managed on both
sites (``geo_checks.one_leader``: the API of each site that answers, the database of one that is
down or hangs).

The partitions: a site stopped and started again (SIGTERM, same database), a site that hangs
(SIGSTOP of its process: its API accepts connections and never answers; SIGCONT in a
``finally``), and the two sites cut off from each other while both run (each site's system peer
for the other names a Keystone address where nothing listens; the test itself reaches both).
One pair of sites serves every order: each order has its own group of two subclouds, led by A,
associated with B and in sync, managed on A, so no order depends on another's end.
"""

import contextlib

import pytest

from tests import subcloud_forms as forms
from tests.integration import geo_checks as checks
from tests.integration import sim_fixture, two_sites
from tests.integration.geo_checks import Seen
from tests.services import free_port

pytestmark = pytest.mark.keystone

ORDERS = ('a_down_b_migrates_a_back', 'b_hangs_during_a_migrating_back',
          'a_migrates_back_after_b', 'cut_off_both_ways_then_b_migrates',
          'a_restarts_during_a_fenced_migration')
PER_GROUP = 2
# Rehomes slow enough that a step can happen while they run.
SLOW_REHOME = 6
OPTIONS = ('[peer]\naudit_interval = 5\nmigration_online_timeout = 60\n'
           '[audit]\ninterval = 3\nscan_interval = 0.5\n')
PEER_TIMING = {'heartbeat_interval': '10', 'heartbeat_failure_threshold': '2'}


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'partitions-sim',
                                   count=PER_GROUP * len(ORDERS),
                                   admin_password=forms.ADMIN_PASSWORD, rehome_seconds=0.5)


@pytest.fixture(scope='module')
def sites(tmp_path_factory, sim):
    with two_sites.two_sites(str(tmp_path_factory.mktemp('partitions-sites')), sim,
                             options=OPTIONS) as (a, b):
        yield a, b


def _number(order, k):
    return ORDERS.index(order) * PER_GROUP + k


@pytest.fixture(scope='module')
def groups(sites, sim):
    """The peers both ways and one group per order on A, associated with B and in sync:
    {order: {'uuid', 'addresses', 'peers': (A's peer B, B's peer A)}}."""
    a, b = sites
    peer_b = Seen.call(a, 'POST', 'system-peers', json=dict(b.peer_credentials(),
                                                            **PEER_TIMING)).json()
    peer_a = Seen.call(b, 'POST', 'system-peers', json=dict(a.peer_credentials(),
                                                            **PEER_TIMING)).json()
    made = {order: Seen.call(a, 'POST', 'subcloud-peer-groups', json={
        'peer-group-name': 'pg-%d' % n, 'max-subcloud-rehoming': str(PER_GROUP)}).json()
        for n, order in enumerate(ORDERS)}
    numbered = [(order, _number(order, k)) for order in ORDERS for k in range(1, PER_GROUP + 1)]
    for _order, n in numbered:
        form, files = forms.add_request('sc%d' % n, n, address=sim.addresses[n - 1])
        body, content_type = forms.cli_multipart(form, files)
        Seen.call(a, 'POST', 'subclouds', data=body, headers={'Content-Type': content_type})
    for order, n in numbered:
        checks.wait('sc%d online' % n, lambda n=n: (
            lambda s: s['deploy-status'] == 'complete' and
            s['availability-status'] == 'online')(Seen.get(a, 'subclouds/sc%d' % n)),
            timeout=120)
        checks.patch_subcloud(a, 'sc%d' % n, {'management-state': 'managed'})
        checks.patch_subcloud(a, 'sc%d' % n, {'peer_group': made[order]['peer_group_name']})
    for group in made.values():
        checks.associate_in_sync(a, group, peer_b)
    return {order: {'uuid': group['peer_group_uuid'],
                    'addresses': [sim.addresses[_number(order, k) - 1]
                                  for k in range(1, PER_GROUP + 1)],
                    'peers': (peer_b, peer_a)}
            for order, group in made.items()}


class Steps:
    """One order's steps on the two sites; ``check()`` after each one."""

    def __init__(self, sites, sim, groups, order):
        self.a, self.b = sites
        self.sites = sites
        self.sim = sim
        self.uuid = groups[order]['uuid']
        self.addresses = groups[order]['addresses']
        self.peers = groups[order]['peers']
        self.uuids = [g['uuid'] for g in groups.values()]
        self.up = list(sites)

    def check(self):
        """The invariant, for every group (the other orders' too)."""
        checks.one_leader(self.sites, self.uuids, self.up)

    def members(self, site):
        return checks.members(site, self.uuid)

    def wait_members(self, site, what, deploy, managed=None, timeout=90):
        checks.wait('%s on %s' % (what, site.name), lambda: all(
            m['deploy-status'] == deploy and (managed is None or
                                             (m['management-state'] == 'managed') == managed)
            for m in self.members(site).values()), timeout=timeout,
            seen=lambda: self.members(site))

    def slow_rehomes(self, seconds):
        for address in self.addresses:
            self.sim.patch(address, rehome_seconds=seconds)

    def migrate(self, site, term):
        """``site`` migrates the group; checked at once, then once complete in ``term``."""
        checks.migrate(site, self.uuid)
        self.check()
        checks.migrated(site, self.uuid, term)
        self.check()

    def rehoming(self, site):
        checks.wait('the rehomes under way on %s' % site.name, lambda: any(
            m['deploy-status'] == 'rehoming' for m in self.members(site).values()),
            timeout=60, seen=lambda: self.members(site))

    @contextlib.contextmanager
    def down(self, site):
        site.stop()
        self.up.remove(site)
        try:
            self.check()
            yield
        finally:
            site.start()
            self.up.append(site)
        self.check()

    @contextlib.contextmanager
    def hung(self, site):
        with site.hung():
            self.up.remove(site)
            try:
                self.check()
                yield
            finally:
                self.up.append(site)
        self.check()

    @contextlib.contextmanager
    def cut_off(self):
        """Each site's system peer for the other names a Keystone where nothing listens."""
        nowhere = 'http://127.0.0.1:%d/v3' % free_port()
        (peer_b, peer_a) = self.peers
        real = ((self.a, peer_b, self.b.keystone.url), (self.b, peer_a, self.a.keystone.url))
        for site, peer, _url in real:
            Seen.call(site, 'PATCH', 'system-peers/%d' % peer['id'],
                      json={'manager_endpoint': nowhere})
        try:
            self.check()
            yield
        finally:
            for site, peer, url in real:
                Seen.call(site, 'PATCH', 'system-peers/%d' % peer['id'],
                          json={'manager_endpoint': url})
        self.check()

    def settled(self, leader, follower):
        """Every member complete and managed on ``leader``, secondary on ``follower``."""
        self.wait_members(leader, 'every member managed', 'complete', managed=True)
        self.check()
        self.wait_members(follower, 'every copy secondary', 'secondary', managed=False)
        self.check()
        for site in self.sites:
            group = checks.group(site, self.uuid)
            assert group['system_leader_id'] == leader.system_uuid, (site.name, group)
        checks.nothing_transitory(self.sites, [self.uuid])


def a_down_b_migrates_a_back(s):
    """A is down while B migrates (no fence reaches A); A, started again, learns B's newer
    term before it manages anything."""
    with s.down(s.a):
        s.migrate(s.b, 2)
        s.wait_members(s.b, 'every member managed', 'complete', managed=True)
        s.check()
    s.settled(s.b, s.a)


def b_hangs_during_a_migrating_back(s):
    """B migrates (A up); then A migrates back while B hangs (the fence times out on B) and B
    answers again while A's rehomes run."""
    s.migrate(s.b, 2)
    s.settled(s.b, s.a)
    s.slow_rehomes(SLOW_REHOME)
    try:
        with s.hung(s.b):
            checks.migrate(s.a, s.uuid)
            s.check()
            s.rehoming(s.a)
            s.check()
        checks.migrated(s.a, s.uuid, 3)
        s.check()
    finally:
        s.slow_rehomes(0.5)
    s.settled(s.a, s.b)


def a_migrates_back_after_b(s):
    """B migrates with A up, then A migrates the group back."""
    s.migrate(s.b, 2)
    s.settled(s.b, s.a)
    s.migrate(s.a, 3)
    s.settled(s.a, s.b)


def cut_off_both_ways_then_b_migrates(s):
    """The sites cannot reach each other, both run; B migrates (no fence reaches A, which
    still leads in its own view): A's subclouds, rehomed to B, tell A, and A releases them
    before B manages them. Once the sites reach each other again, A takes B's term."""
    with s.cut_off():
        s.migrate(s.b, 2)
        s.wait_members(s.b, 'every member managed', 'complete', managed=True)
        s.check()
    s.settled(s.b, s.a)
    group = checks.group(s.a, s.uuid)
    assert group['leader_term'] == 2, group


def a_restarts_during_a_fenced_migration(s):
    """B migrates with A up (the fence reaches A: its members released) and slow rehomes; A
    restarts while they run: it neither ends B's migration nor takes anything back."""
    s.slow_rehomes(3 * SLOW_REHOME)
    try:
        checks.migrate(s.b, s.uuid)
        s.check()
        s.rehoming(s.b)
        with s.down(s.a):
            pass
        # Long rehomes: B's migration still runs when A is back (A's own term 2 copy follows
        # it, migrating too, released: nothing of it is A's to end or to manage).
        assert checks.group(s.b, s.uuid)['migration_status'] == 'migrating'
        group = checks.group(s.a, s.uuid)
        assert (group['migration_status'], group['leader_term']) == ('migrating', 2), group
        assert {m['deploy-status'] for m in s.members(s.a).values()} == {'rehome-pending'}
        checks.migrated(s.b, s.uuid, 2)
        s.check()
    finally:
        s.slow_rehomes(0.5)
    s.settled(s.b, s.a)


@pytest.mark.parametrize('order', ORDERS)
def test_at_most_one_site_leads_after_each_step(sites, sim, groups, order):
    steps = Steps(sites, sim, groups, order)
    steps.check()
    globals()[order](steps)


def test_no_password_in_any_answer_or_log(sites, groups):
    checks.no_password_anywhere(sites)
