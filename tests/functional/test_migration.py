"""The migration of a peer group to this site (``PATCH .../migrate``), on one site: its checks,
its fence (this site leads the group in a new term before any subcloud is touched, one
migration at a time by a compare-and-set), its end whatever became of each subcloud, and its
recovery after a crash. The subclouds' addresses serve nothing here, so each rehome fails for
real; the rehomes that succeed, and the source site's side, are in
tests/integration/test_two_sites_migration.py.
"""

import base64
import time
import uuid

import pytest
import sqlalchemy as sa

from dcmanager import objects
from dcmanager.common import states
from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models
from dcmanager.manager import recovery
from tests import harness
from tests import subcloud_forms as forms

GROUPS = '/v1.0/subcloud-peer-groups'
JSON = {'Accept': 'application/json'}
SITE_A = str(uuid.uuid4())
PASSWORD = {'sysadmin_password': base64.b64encode(b'Sysadmin*Pass1').decode()}


@pytest.fixture
def peer(api):
    return harness.app_as('dcmanager-peer', project_name='services')


@pytest.fixture
def copy(api, peer, refused_peer_url):
    """site-a's copy here of its group pg-a (term 3), with two secondary copies of its
    subclouds (at addresses that serve nothing); site-a refuses every call."""
    site_a = api.post_json('/v1.0/system-peers', {
        'peer_uuid': SITE_A, 'peer_name': 'site-a', 'manager_endpoint': refused_peer_url,
        'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(b'Peer-Secret*42').decode(),
        'peer_controller_gateway_address': '127.0.2.1'}).json
    group = peer.post_json(GROUPS, {
        'peer-group-name': 'pg-a', 'group-priority': '2', 'system-leader-id': SITE_A,
        'system-leader-name': 'site-a', 'peer-group-uuid': str(uuid.uuid4()),
        'leader-term': '3', 'max-subcloud-rehoming': '5'}).json
    peer.post_json('/v1.0/peer-group-associations', {'peer_group_id': group['id'],
                                                      'system_peer_id': site_a['id']})
    for n in (1, 2):
        form, files = forms.add_request('sc%d' % n, n, sysadmin_password=None,
                                        secondary='true', region_name='%032x' % n,
                                        peer_group=str(group['id']))
        forms.post_add(peer, form, files)
    return group


def _group(api, group):
    return api.get('%s/%d' % (GROUPS, group['id'])).json


def _migrate(api, group, body=None, status=200):
    path = '%s/%d/migrate' % (GROUPS, group['id'])
    if isinstance(body, bytes):
        return api.patch(path, body, headers=dict(JSON, **{'Content-Type': 'application/json'}),
                         status=status)
    return api.patch_json(path, PASSWORD if body is None else body, headers=JSON,
                          status=status)


def _settled(api, group, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        shown = _group(api, group)
        if shown['migration_status'] != 'migrating':
            return shown
        assert time.monotonic() < deadline, 'still migrating'
        time.sleep(0.1)


def _members(api, group):
    return {s['name']: s for s in api.get('%s/%d/subclouds' % (GROUPS, group['id'])).json[
        'subclouds']}


def test_the_migration_fences_then_ends_whatever_became_of_its_subclouds(api, ctx, copy):
    local = objects.LocalSystem.get(ctx)
    answer = _migrate(api, copy).json
    assert sorted(s['name'] for s in answer['subclouds']) == ['sc1', 'sc2']
    fenced = _group(api, copy)
    # The fence is the first step: this site leads the group, in the next term, at once.
    assert (fenced['system_leader_id'], fenced['leader_term']) == (local.system_uuid, 4)
    done = _settled(api, copy)
    assert (done['migration_status'], done['system_leader_id'], done['leader_term']) == (
        'complete', local.system_uuid, 4)
    for member in _members(api, copy).values():
        assert member['deploy-status'] == 'rehome-failed'
        detail = api.get('/v1.0/subclouds/%s/detail' % member['name']).json
        assert detail['error-description'].startswith('The rehome could not be run'), detail
    # The failed ones are migrated again (the group is led here now: same checks).
    assert len(_migrate(api, copy).json['subclouds']) == 2
    assert _settled(api, copy)['leader_term'] == 5


@pytest.mark.parametrize('body,status,message', [
    (b'', 400, 'Body required'),
    ({}, 400, 'No fields given'),
    ({'sysadmin_password': 'not base64!'}, 400, 'verify the password is base64 encoded'),
    ({'sysadmin_password': 'c2E=', 'other': 1}, 400, 'other'),
])
def test_a_migrate_request_is_checked(api, copy, body, status, message):
    before = _group(api, copy)
    resp = _migrate(api, copy, body=body, status=status)
    assert message in resp.json['description']
    assert _group(api, copy) == before


def test_nothing_to_migrate_is_400(api):
    group = api.post_json(GROUPS, {'peer-group-name': 'pg1'}).json
    resp = _migrate(api, group, status=400)
    assert resp.json['description'] == ('Nothing to migrate, no secondary, rehome-failed or '
                                        'rehome-prep-failed subcloud in peer group pg1')
    assert _group(api, group) == group


def _set_group(group_id, **values):
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.SubcloudPeerGroup)
                     .where(models.SubcloudPeerGroup.id == group_id).values(**values))


def test_a_second_migration_is_409_by_the_database(api, ctx, copy):
    _set_group(copy['id'], migration_status='migrating', migration_owner='another-manager')
    resp = _migrate(api, copy, status=409)
    assert resp.json['error'] == 'SubcloudPeerGroupMigrating'
    assert _group(api, copy)['leader_term'] == 3
    # Two managers reading the group at once: one compare-and-set wins.
    _set_group(copy['id'], migration_status=None, migration_owner=None)
    first = objects.SubcloudPeerGroup.get_by_id(ctx, copy['id'])
    second = objects.SubcloudPeerGroup.get_by_id(ctx, copy['id'])
    assert first.start_migration(ctx, 'manager-1', SITE_A, 'here')
    assert not second.start_migration(ctx, 'manager-2', SITE_A, 'here')
    assert objects.SubcloudPeerGroup.get_by_id(ctx, copy['id']).leader_term == 4


def test_a_migration_cut_short_by_a_crash_ends_at_the_next_start(api, ctx, copy):
    """Its manager died mid-way: nothing stays migrating, pre-rehome or rehoming, and the
    group stays led by the site the fence made its leader."""
    local = objects.LocalSystem.get(ctx)
    _set_group(copy['id'], migration_status='migrating', migration_owner='dead-manager',
               leader_term=4, system_leader_id=local.system_uuid)
    with db_api.get_engine().begin() as conn:
        for name, status in (('sc1', 'pre-rehome'), ('sc2', 'rehoming')):
            conn.execute(sa.update(models.Subcloud).where(models.Subcloud.name == name)
                         .values(deploy_status=status, deploy_owner='dead-manager'))
    recovery.recover_at_start(ctx, 'test-manager')
    shown = _group(api, copy)
    assert (shown['migration_status'], shown['leader_term'], shown['system_leader_id']) == (
        'complete', 4, local.system_uuid)
    assert {n: m['deploy-status'] for n, m in _members(api, copy).items()} == {
        'sc1': 'rehome-prep-failed', 'sc2': 'rehome-failed'}


def test_a_member_whose_rehome_never_began_ends_failed_when_the_migration_is_recovered(
        api, ctx, copy):
    """Cut short with one member rehoming and the other not begun (still secondary): both end
    failed, each saying why; not left secondary as if the source still held it."""
    _set_group(copy['id'], migration_status='migrating', migration_owner='dead-manager',
               leader_term=4)
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.Subcloud).where(models.Subcloud.name == 'sc1')
                     .values(deploy_status='rehoming', deploy_owner='dead-manager'))
    recovery.recover_at_start(ctx, 'test-manager')
    assert _group(api, copy)['migration_status'] == 'complete'
    assert {n: m['deploy-status'] for n, m in _members(api, copy).items()} == {
        'sc1': 'rehome-failed', 'sc2': 'rehome-prep-failed'}
    detail = api.get('/v1.0/subclouds/sc2/detail').json
    assert detail['error-description'] == states.MIGRATION_CUT_SHORT
    # A group not migrating keeps its secondary members as they are.
    _set_group(copy['id'], migration_status=None)
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.Subcloud).where(models.Subcloud.name == 'sc2')
                     .values(deploy_status='secondary'))
    recovery.recover_at_start(ctx, 'test-manager')
    assert _members(api, copy)['sc2']['deploy-status'] == 'secondary'


def test_a_followed_migration_once_complete_lets_this_site_migrate_back(api, ctx, copy):
    """This site took site-a's leadership while site-a was migrating (term 4, ``migrating``
    here too, run by no manager here): site-a's audit-visible ``complete`` clears it, so a
    migration back is not refused as one under way. Only the followed one is cleared."""
    _set_group(copy['id'], migration_status='migrating', migration_owner=None, leader_term=4)
    group = objects.SubcloudPeerGroup.get_by_id(ctx, copy['id'])
    _migrate(api, copy, status=409)
    stale = objects.SubcloudPeerGroup.get_by_id(ctx, copy['id'])
    # Another leader (or another term) than the one followed: not cleared.
    stale.system_leader_id = str(uuid.uuid4())
    assert not stale.followed_migration_complete(ctx)
    stale.system_leader_id, stale.leader_term = SITE_A, 3
    assert not stale.followed_migration_complete(ctx)
    assert group.followed_migration_complete(ctx)
    assert (group.migration_status, _group(api, copy)['migration_status']) == (
        'complete', 'complete')
    assert not group.followed_migration_complete(ctx)  # once
    assert len(_migrate(api, copy).json['subclouds']) == 2
    assert _settled(api, copy)['leader_term'] == 5
    # A migration a manager here runs is never ended by what the peer says.
    _set_group(copy['id'], migration_status='migrating', migration_owner='manager-1')
    assert not objects.SubcloudPeerGroup.get_by_id(ctx, copy['id']).followed_migration_complete(
        ctx)
    assert _group(api, copy)['migration_status'] == 'migrating'


def test_a_followed_migration_is_never_recovered_here(api, ctx, copy):
    """site-a migrates the group (term 4, ``migrating`` here, taken with its leadership, run
    by no manager here): a restart here neither ends site-a's migration nor fails the members
    site-a has not rehomed yet; it is site-a's to end, and its end reaches here by the audit.
    An ownerless migration led here (an older version's leftover) is still recovered."""
    _set_group(copy['id'], migration_status='migrating', migration_owner=None, leader_term=4)
    recovery.recover_at_start(ctx, 'test-manager')
    assert _group(api, copy)['migration_status'] == 'migrating'
    assert {m['deploy-status'] for m in _members(api, copy).values()} == {'secondary'}
    local = objects.LocalSystem.get(ctx)
    _set_group(copy['id'], system_leader_id=local.system_uuid.upper())
    recovery.recover_at_start(ctx, 'test-manager')
    assert _group(api, copy)['migration_status'] == 'complete'
    assert {m['deploy-status'] for m in _members(api, copy).values()} == {'rehome-prep-failed'}
