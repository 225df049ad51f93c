"""A migration cut short by its manager, between two real sites (``two_sites.py``).

A leads two groups associated with B, pg-kill (sc1..sc4) and pg-stop (sc5..sc8); the simulator
takes a few seconds per rehome and each group rehomes one subcloud at a time, so B's migration
is really mid-way (a member ``complete``, one rehoming, the rest not begun) when B's
``dcmanager-all`` is killed (SIGKILL: nothing of its stop runs) or stopped (SIGTERM: its stop
runs) and started again. Then, on both sites: nothing is left ``pre-rehome``, ``rehoming`` or
``migrating``; every member is ``complete`` or failed (``rehome-failed`` /
``rehome-prep-failed``, with an error description that says why); B leads the group on both
sites in the next leader term (the fence), A stepped down; the members rehomed before the cut
are managed on B once online (its start resumes that); and the failed members migrate again
and succeed. After each step at most one site leads each group and no subcloud is managed on
both (``geo_checks.one_leader``); no password is in any answer or either site's log.
"""

import pytest

from tests import subcloud_forms as forms
from tests.integration import geo_checks as checks
from tests.integration import sim_fixture, two_sites
from tests.integration.geo_checks import Seen

pytestmark = pytest.mark.keystone

GROUPS = {'pg-kill': ('sc1', 'sc2', 'sc3', 'sc4'), 'pg-stop': ('sc5', 'sc6', 'sc7', 'sc8')}
# Long enough for the test to see a member complete and the next one rehoming.
REHOME_SECONDS = 3
OPTIONS = ('[peer]\naudit_interval = 5\nmigration_online_timeout = 60\n'
           '[audit]\ninterval = 3\nscan_interval = 0.5\n')
PEER_TIMING = {'heartbeat_interval': '10', 'heartbeat_failure_threshold': '2'}
FAILED = ('rehome-failed', 'rehome-prep-failed')
DEFAULT_ERROR = 'No errors present'


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'faults-sim', count=8,
                                   admin_password=forms.ADMIN_PASSWORD,
                                   rehome_seconds=REHOME_SECONDS)


@pytest.fixture(scope='module')
def sites(tmp_path_factory, sim):
    with two_sites.two_sites(str(tmp_path_factory.mktemp('faults-sites')), sim,
                             options=OPTIONS) as (a, b):
        yield a, b


@pytest.fixture(scope='module')
def groups(sites, sim):
    """The peers both ways; the two groups on A, associated with B and in sync; their uuids."""
    a, b = sites
    peer_b = Seen.call(a, 'POST', 'system-peers', json=dict(b.peer_credentials(),
                                                            **PEER_TIMING)).json()
    Seen.call(b, 'POST', 'system-peers', json=dict(a.peer_credentials(), **PEER_TIMING))
    made = {name: Seen.call(a, 'POST', 'subcloud-peer-groups', json={
        'peer-group-name': name, 'max-subcloud-rehoming': '1'}).json() for name in GROUPS}
    numbered = [(n, name, group) for group, names in GROUPS.items()
                for n, name in ((int(x[2:]), x) for x in names)]
    for n, name, _group in numbered:
        form, files = forms.add_request(name, n, address=sim.addresses[n - 1])
        body, content_type = forms.cli_multipart(form, files)
        Seen.call(a, 'POST', 'subclouds', data=body, headers={'Content-Type': content_type})
    for _n, name, group in numbered:
        checks.wait('%s online' % name, lambda name=name: (
            lambda s: s['deploy-status'] == 'complete' and
            s['availability-status'] == 'online')(Seen.get(a, 'subclouds/%s' % name)),
            timeout=120)
        checks.patch_subcloud(a, name, {'management-state': 'managed'})
        checks.patch_subcloud(a, name, {'peer_group': group})
    for group in made.values():
        checks.associate_in_sync(a, group, peer_b)
    return {name: group['peer_group_uuid'] for name, group in made.items()}


def _mid_way(site, uuid_):
    """True once the migration has a member complete and one under way on ``site``."""
    statuses = [m['deploy-status'] for m in checks.members(site, uuid_).values()]
    return 'complete' in statuses and any(s in checks.TRANSITORY for s in statuses)


def _cut_short(sites, groups, name, end):
    """B migrates ``name``; ``end(b)`` ends B's process mid-way; B starts again. Returns the
    members' deploy statuses on B once recovered."""
    a, b = sites
    uuid_ = groups[name]
    checks.one_leader(sites, groups.values(), up=sites)
    answer = checks.migrate(b, uuid_)
    assert sorted(s['name'] for s in answer['subclouds']) == sorted(GROUPS[name])
    checks.wait('%s mid-way on B' % name, lambda: _mid_way(b, uuid_), timeout=60,
                seen=lambda: checks.members(b, uuid_))
    end(b)
    checks.one_leader(sites, groups.values(), up=(a,))
    b.start()
    checks.one_leader(sites, groups.values(), up=sites)
    # Recovered at B's start: the migration ended, nothing of it left under way.
    group = checks.group(b, uuid_)
    assert group['migration_status'] == 'complete', group
    assert (group['system_leader_id'], group['system_leader_name'], group['leader_term']) == (
        b.system_uuid, b.name, 2), group
    on_b = checks.members(b, uuid_)
    assert set(m['deploy-status'] for m in on_b.values()) <= {'complete', *FAILED}, on_b
    assert any(m['deploy-status'] == 'complete' for m in on_b.values()), on_b
    failed = [region for region, m in on_b.items() if m['deploy-status'] in FAILED]
    assert failed, on_b
    for region in failed:
        detail = Seen.get(b, 'subclouds/%s/detail' % on_b[region]['name'])
        assert detail['error-description'] not in (None, '', DEFAULT_ERROR), detail
    # A follows B: it leads nowhere, holds nothing as its own, and can migrate the failed
    # ones back (rehome-failed there too).
    checks.wait('A stepped down for %s' % name, lambda: all(
        m['deploy-status'] == ('secondary' if on_b[region]['deploy-status'] == 'complete'
                               else 'rehome-failed') and m['management-state'] == 'unmanaged'
        for region, m in checks.members(a, uuid_).items()), timeout=90,
        seen=lambda: checks.members(a, uuid_))
    # The ones rehomed before the cut are managed on B once online, as the migration would
    # have (B's start resumes that, after the hold of a source not told).
    checks.wait('the members rehomed before the cut managed on B', lambda: all(
        m['management-state'] == 'managed' for region, m in checks.members(b, uuid_).items()
        if on_b[region]['deploy-status'] == 'complete'), timeout=90,
        seen=lambda: checks.members(b, uuid_))
    group_a = checks.group(a, uuid_)
    assert (group_a['system_leader_id'], group_a['system_leader_name'],
            group_a['leader_term']) == (b.system_uuid, b.name, 2), group_a
    checks.nothing_transitory(sites, groups.values())
    checks.one_leader(sites, groups.values(), up=sites)
    return {region: m['deploy-status'] for region, m in on_b.items()}


def _migrate_the_failed_again(sites, groups, name, statuses):
    a, b = sites
    uuid_ = groups[name]
    failed = sorted(region for region, status in statuses.items() if status in FAILED)
    again = checks.migrate(b, uuid_)
    assert sorted(s['region-name'] for s in again['subclouds']) == failed, again
    checks.one_leader(sites, groups.values(), up=sites)
    checks.migrated(b, uuid_, 3)
    checks.wait('every member of %s complete on B' % name, lambda: {
        m['deploy-status'] for m in checks.members(b, uuid_).values()} == {'complete'},
        timeout=60, seen=lambda: checks.members(b, uuid_))
    checks.wait('the re-migrated ones managed on B', lambda: all(
        checks.members(b, uuid_)[region]['management-state'] == 'managed'
        for region in failed), timeout=60, seen=lambda: checks.members(b, uuid_))
    checks.wait('every copy of %s secondary on A' % name, lambda: {
        m['deploy-status'] for m in checks.members(a, uuid_).values()} == {'secondary'},
        timeout=60, seen=lambda: checks.members(a, uuid_))
    for site in (a, b):
        group = checks.group(site, uuid_)
        assert (group['system_leader_id'], group['leader_term']) == (b.system_uuid, 3), group
    checks.nothing_transitory(sites, groups.values())
    checks.one_leader(sites, groups.values(), up=sites)


def test_b_killed_mid_migration_recovers_and_the_failed_ones_migrate_again(sites, groups):
    statuses = _cut_short(sites, groups, 'pg-kill', two_sites.Site.kill)
    _migrate_the_failed_again(sites, groups, 'pg-kill', statuses)


def test_b_stopped_mid_migration_recovers_and_the_failed_ones_migrate_again(sites, groups):
    statuses = _cut_short(sites, groups, 'pg-stop', two_sites.Site.stop)
    _migrate_the_failed_again(sites, groups, 'pg-stop', statuses)


def test_no_password_in_any_answer_or_log(sites, groups):
    checks.no_password_anywhere(sites)
