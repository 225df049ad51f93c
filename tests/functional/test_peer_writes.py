"""The peer site's writes: what only the peer role ([peer] role) may do, and what it may not.

The peer site (its service user, holding the peer role in this site's services project) keeps
its copies here: non-primary subcloud peer groups, their non-primary associations, secondary
subclouds, and the management state of a peer group's members. This site's operators (noauth:
the local admin) may not write those copies; the peer may not write this site's own objects;
a header such as ``User-Agent: dcmanager/1.0`` grants nothing.
"""

import base64
import datetime
import uuid

import pytest
import sqlalchemy as sa
import yaml

from dcmanager import objects
from dcmanager.common import states
from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models
from tests import harness, records
from tests import subcloud_forms as forms

GROUPS = '/v1.0/subcloud-peer-groups'
ASSOCIATIONS = '/v1.0/peer-group-associations'
SUBCLOUDS = '/v1.0/subclouds'
JSON = {'Accept': 'application/json'}
SITE_A = str(uuid.uuid4())
REGION = 'f' * 32


@pytest.fixture
def peer(api):
    """The peer site's service user: the peer role alone, in the services project."""
    return harness.app_as('dcmanager-peer', project_name='services')


@pytest.fixture
def site_a(api, hanging_peer_url):
    """The system peer that leads the copies (site-a; it hangs, so a sync to it stays under
    way)."""
    return api.post_json('/v1.0/system-peers', {
        'peer_uuid': SITE_A, 'peer_name': 'site-a',
        'manager_endpoint': hanging_peer_url, 'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(b'Peer-Secret*42').decode(),
        'peer_controller_gateway_address': '127.0.2.1'}).json


def _copy_body(name='pg-a', **changes):
    body = {'peer-group-name': name, 'group-priority': '2', 'system-leader-id': SITE_A,
            'system-leader-name': 'site-a', 'peer-group-uuid': str(uuid.uuid4()),
            'leader-term': '3', 'max-subcloud-rehoming': '20'}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture
def copy(peer, site_a):
    """The peer site's copy of its group pg-a."""
    return peer.post_json(GROUPS, _copy_body()).json


def _groups(api):
    return api.get(GROUPS).json['subcloud_peer_groups']


def _assoc_rows():
    with db_api.get_engine().connect() as conn:
        return conn.execute(sa.select(models.PeerGroupAssociation)).all()


# ------------------------------------------------------------------ non-primary peer groups

def test_the_peer_creates_its_copy_with_uuid_term_and_leader(peer, site_a):
    body = _copy_body()
    group = peer.post_json(GROUPS, body).json
    assert (group['group_priority'], group['system_leader_id'], group['system_leader_name'],
            group['peer_group_uuid'], group['leader_term'], group['max_subcloud_rehoming']) == (
        2, SITE_A, 'site-a', body['peer-group-uuid'], 3, 20)
    assert peer.get('%s/%s' % (GROUPS, body['peer-group-uuid'])).json == group


@pytest.mark.parametrize('changes,status,message', [
    ({'system-leader-id': str(uuid.uuid4())}, 400, 'no system peer of this site has this UUID'),
    ({'peer-group-uuid': None}, 400, 'peer-group-uuid required'),
    ({'system-leader-name': None}, 400, 'system-leader-name required'),
    ({'group-priority': '0'}, 400, 'The peer site creates only its copies'),
    ({'group-priority': None}, 400, 'The peer site creates only its copies'),
    ({'peer-group-uuid': 'not-a-uuid'}, 400, 'Invalid peer-group-uuid'),
    ({'leader-term': '0'}, 400, 'Invalid leader-term'),
])
def test_a_copy_is_led_by_a_system_peer_and_says_who_it_is(api, peer, site_a, changes, status,
                                                           message):
    resp = peer.post_json(GROUPS, _copy_body(**changes), headers=JSON, status=status)
    assert message in resp.json['description']
    assert _groups(api) == []


def test_a_copy_is_never_led_by_this_site(api, peer, site_a, ctx):
    local = objects.LocalSystem.get(ctx).system_uuid
    resp = peer.post_json(GROUPS, _copy_body(**{'system-leader-id': local}), headers=JSON,
                          status=400)
    assert 'led by the peer site, not by this site' in resp.json['description']
    assert _groups(api) == []


def test_the_same_group_uuid_twice_is_409(api, peer, copy):
    resp = peer.post_json(GROUPS, _copy_body('pg-b', **{'peer-group-uuid':
                                                        copy['peer_group_uuid']}),
                          headers=JSON, status=409)
    assert resp.json['error'] == 'SubcloudPeerGroupUUIDTaken'
    assert [g['peer_group_name'] for g in _groups(api)] == ['pg-a']


def test_operators_create_no_copy_and_no_uuid(api, site_a):
    resp = api.post_json(GROUPS, _copy_body(), headers=JSON, status=400)
    assert 'Invalid group-priority' in resp.json['description']
    resp = api.post_json(GROUPS, {'peer-group-name': 'pg1',
                                  'peer-group-uuid': str(uuid.uuid4())},
                         headers=JSON, status=400)
    assert 'set by the peer site only' in resp.json['description']
    assert _groups(api) == []


def test_the_peer_changes_its_copy(peer, copy):
    changed = peer.patch_json('%s/%d' % (GROUPS, copy['id']),
                              {'group-state': 'disabled', 'group-priority': '5',
                               'peer-group-name': 'pg-a2'}).json
    assert (changed['group_state'], changed['group_priority'], changed['peer_group_name']) == (
        'disabled', 5, 'pg-a2')
    resp = peer.patch_json('%s/%d' % (GROUPS, copy['id']), {'group-priority': '0'},
                           headers=JSON, status=400)
    assert resp.json['description'] == 'Invalid group-priority'
    resp = peer.patch_json('%s/%d' % (GROUPS, copy['id']), {'system-leader-id': SITE_A},
                           headers=JSON, status=400)
    assert 'Unexpected field' in resp.json['description']


def test_operators_neither_change_nor_delete_a_copy(api, copy):
    resp = api.patch_json('%s/%d' % (GROUPS, copy['id']), {'group-state': 'disabled'},
                          headers=JSON, status=400)
    assert resp.json['description'] == 'Cannot update a peer group from a non-primary site.'
    resp = api.delete('%s/%d' % (GROUPS, copy['id']), headers=JSON, status=400)
    assert resp.json['description'] == 'Cannot update a peer group from a non-primary site.'
    assert _groups(api) == [copy]


def test_the_peer_deletes_its_copy_but_never_writes_a_primary(api, peer, copy):
    primary = api.post_json(GROUPS, {'peer-group-name': 'pg1'}).json
    for resp in (peer.patch_json('%s/%d' % (GROUPS, primary['id']), {'group-state': 'disabled'},
                                 headers=JSON, status=409),
                 peer.delete('%s/%d' % (GROUPS, primary['id']), headers=JSON, status=409)):
        assert resp.json['error'] == 'SubcloudPeerGroupIsPrimary'
    peer.delete('%s/%d' % (GROUPS, copy['id']))
    assert _groups(api) == [primary]


# ------------------------------------------------------------------ non-primary associations

@pytest.fixture
def copy_association(peer, copy, site_a):
    return peer.post_json(ASSOCIATIONS, {'peer_group_id': str(copy['id']),
                                         'system_peer_id': str(site_a['id'])}).json


def test_the_peer_associates_its_copy_with_its_leader(copy_association, copy, site_a):
    assert copy_association == dict(copy_association, **{
        'peer-group-id': copy['id'], 'system-peer-id': site_a['id'],
        'peer-group-priority': copy['group_priority'], 'association-type': 'non-primary',
        'sync-status': 'syncing', 'sync-message': None})


def test_a_copys_association_rules(api, peer, copy, site_a):
    other = api.post_json('/v1.0/system-peers', {
        'peer_uuid': str(uuid.uuid4()), 'peer_name': 'site-c',
        'manager_endpoint': 'http://127.0.0.1:25001/v3', 'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(b'Other-Secret*7').decode(),
        'peer_controller_gateway_address': '127.0.2.2'}).json
    resp = peer.post_json(ASSOCIATIONS, {'peer_group_id': copy['id'],
                                         'system_peer_id': other['id']},
                          headers=JSON, status=400)
    assert 'is led by site-a, not by system peer site-c' in resp.json['description']
    resp = peer.post_json(ASSOCIATIONS, {'peer_group_id': copy['id'],
                                         'system_peer_id': site_a['id'],
                                         'peer_group_priority': 3}, headers=JSON, status=400)
    assert 'set on a primary association only' in resp.json['description']
    primary = api.post_json(GROUPS, {'peer-group-name': 'pg1'}).json
    resp = peer.post_json(ASSOCIATIONS, {'peer_group_id': primary['id'],
                                         'system_peer_id': site_a['id']},
                          headers=JSON, status=409)
    assert resp.json['error'] == 'SubcloudPeerGroupIsPrimary'
    assert _assoc_rows() == []


def test_the_peer_says_how_the_sync_of_its_copy_went(api, peer, copy_association):
    path = '%s/%d' % (ASSOCIATIONS, copy_association['id'])
    done = peer.patch_json(path, {'sync_status': 'in-sync'}).json
    assert (done['sync-status'], done['sync-message']) == ('in-sync', None)
    peer.patch_json(path, {'sync_status': 'syncing'})
    failed = peer.patch_json(path, {'sync_status': 'failed'}).json
    assert (failed['sync-status'], failed['sync-message']) == (
        'failed', 'Primary association sync to current site failed.')
    resp = peer.patch_json(path, {'peer_group_priority': 4}, headers=JSON, status=400)
    assert 'non-primary association' in resp.json['description']
    resp = api.patch_json(path, {'sync_status': 'in-sync'}, headers=JSON, status=400)
    assert 'sync_status is written by the site that leads the group' in resp.json['description']
    assert api.get(path).json['sync-status'] == 'failed'


def test_operators_do_not_delete_a_copys_association_the_peer_does(api, peer,
                                                                   copy_association):
    path = '%s/%d' % (ASSOCIATIONS, copy_association['id'])
    resp = api.delete(path, headers=JSON, status=400)
    assert resp.json['error'] == 'PeerGroupAssociationNotPrimary'
    peer.delete(path)
    assert _assoc_rows() == []


def test_the_peer_does_not_write_a_primary_association(api, peer, site_a):
    primary = api.post_json(GROUPS, {'peer-group-name': 'pg1'}).json
    assoc = api.post_json(ASSOCIATIONS, {'peer_group_id': primary['id'],
                                         'system_peer_id': site_a['id'],
                                         'peer_group_priority': 2}).json
    path = '%s/%d' % (ASSOCIATIONS, assoc['id'])
    for resp in (peer.patch_json(path, {'sync_status': 'in-sync'}, headers=JSON, status=409),
                 peer.delete(path, headers=JSON, status=409)):
        assert resp.json['error'] == 'PeerGroupAssociationIsPrimary'
    assert api.get(path).json == assoc


def test_a_restart_leaves_a_copys_syncing_association_to_the_peer(site, copy_association):
    from dcmanager.manager import recovery
    recovery.recover_at_start(site.context(), 'a-restarted-host')
    assert [row.sync_status for row in _assoc_rows()] == ['syncing']


# ------------------------------------------------------------------ secondary subclouds

def _secondary_form(name='sc1', n=1, **fields):
    """The form of the peer site's POST for its copy of subcloud ``name``."""
    fields = dict({'sysadmin_password': None, 'secondary': 'true', 'region_name': REGION},
                  **fields)
    return forms.add_request(name, n, **fields)


@pytest.fixture
def secondary(peer):
    form, files = _secondary_form()
    return forms.post_add(peer, form, files).json


def test_the_peer_adds_a_secondary_copy(api, ctx, secondary):
    assert (secondary['deploy-status'], secondary['region-name'],
            secondary['management-state'], secondary['availability-status']) == (
        'secondary', REGION, 'unmanaged', 'offline')
    # Nothing enrolls it (127.0.3.1 serves nothing: an enrollment would fail it), nothing
    # audits it.
    assert api.get('%s/%s/detail' % (SUBCLOUDS, REGION)).json['deploy-status'] == 'secondary'
    later = datetime.datetime.utcnow() + datetime.timedelta(days=1)
    assert db_api.subcloud_audit_due(ctx, later, later, 10) == []
    records.subcloud(ctx, 'sc2', 2)  # an ordinary one is due
    assert len(db_api.subcloud_audit_due(ctx, later, later, 10)) == 1
    secrets = objects.Subcloud.get_secrets(ctx, secondary['id'])
    assert secrets == {'admin_password': forms.ADMIN_PASSWORD}


@pytest.mark.parametrize('fields,message', [
    ({'region_name': None}, 'region_name required'),
    ({'region_name': 'RegionOne'}, 'Invalid region_name: RegionOne is the system controller'),
    ({'region_name': 'a/b'}, 'Invalid region_name'),
    ({'migrate': 'true'}, 'secondary and migrate cannot be used together'),
])
def test_a_secondary_add_is_checked(api, peer, fields, message):
    form, files = _secondary_form(**fields)
    resp = forms.post_add(peer, form, files, status=400, headers=JSON)
    assert message in resp.json['description']
    assert forms.list_state(api)['subclouds'] == []


def test_a_region_is_one_subclouds(api, peer, secondary):
    form, files = _secondary_form('sc2', 2)
    resp = forms.post_add(peer, form, files, status=409, headers=JSON)
    assert REGION in resp.json['description']
    assert [s['name'] for s in forms.list_state(api)['subclouds']] == ['sc1']


@pytest.mark.parametrize('headers', [{}, {'User-Agent': 'dcmanager/1.0'}])
def test_operators_add_no_secondary_whatever_their_user_agent(api, headers):
    form, files = _secondary_form(sysadmin_password=forms.b64(forms.SYSADMIN_PASSWORD))
    admin = harness.app_as('admin', headers=headers)
    resp = forms.post_add(admin, form, files, status=403, headers=JSON)
    assert 'dc_api:subclouds:secondary' in resp.json['description']
    assert forms.list_state(api)['subclouds'] == []


def test_the_peer_changes_its_secondary_copy_by_region(api, peer, secondary):
    values = forms.bootstrap_values('sc1', 1, description='moved')
    changed = forms.patch_form(peer, REGION, {'description': 'moved', 'region_name': REGION,
                                              'release': '24.09'},
                               files={'bootstrap_values': ('b.yaml', yaml.safe_dump(values))})
    assert (changed.json['description'], changed.json['software-version'],
            changed.json['deploy-status']) == ('moved', '24.09', 'secondary')
    resp = forms.patch_form(peer, REGION, {'region_name': 'e' * 32}, status=400, headers=JSON)
    assert 'region_name of a subcloud does not change' in resp.json['description']
    resp = forms.patch_form(peer, REGION, {'management-state': 'managed'}, status=400,
                            headers=JSON)
    assert 'never managed on this site' in resp.json['description']
    assert api.get('%s/sc1' % SUBCLOUDS).json['management-state'] == 'unmanaged'


def test_operators_neither_change_nor_delete_a_secondary_copy(api, secondary):
    before = forms.list_state(api)
    resp = forms.patch_form(api, 'sc1', {'description': 'mine now'}, status=400, headers=JSON)
    assert resp.json['error'] == 'SubcloudIsSecondary'
    resp = api.delete('%s/sc1' % SUBCLOUDS, headers=JSON, status=400)
    assert resp.json['error'] == 'SubcloudIsSecondary'
    assert forms.list_state(api) == before


def test_a_secondary_copy_joins_the_copy_of_its_group_and_is_deleted_in_it(
        api, peer, secondary, copy, copy_association):
    joined = forms.patch_form(peer, REGION, {'peer_group': str(copy['id'])}).json
    assert joined['peer_group_id'] == copy['id']
    assert api.get('%s/%d' % (ASSOCIATIONS, copy_association['id'])).json[
        'sync-status'] == 'syncing'  # the peer's to say, not marked out-of-sync here
    peer.delete('%s/%s' % (SUBCLOUDS, REGION))
    assert forms.list_state(api)['subclouds'] == []


def test_a_secondary_copy_joins_no_primary_group(api, peer, secondary):
    api.post_json(GROUPS, {'peer-group-name': 'pg1'})
    resp = forms.patch_form(peer, REGION, {'peer_group': 'pg1'}, status=409, headers=JSON)
    assert resp.json['error'] == 'SubcloudPeerGroupIsPrimary'
    assert api.get('%s/sc1' % SUBCLOUDS).json['peer_group_id'] is None


def test_the_peer_writes_none_of_this_sites_own_subclouds(api, ctx, peer):
    records.subcloud(ctx, 'sc1', 1)
    before = forms.list_state(api)
    for resp in (forms.patch_form(peer, 'sc1', {'description': 'mine now'}, status=409,
                                  headers=JSON),
                 forms.patch_form(peer, 'sc1', {'management-state': 'managed'}, status=409,
                                  headers=JSON),
                 peer.delete('%s/sc1' % SUBCLOUDS, headers=JSON, status=409)):
        assert resp.json['error'] == 'SubcloudNotSecondary'
    assert forms.list_state(api) == before


def test_the_peer_alone_changes_a_members_management_state(api, ctx, peer):
    records.subcloud(ctx, 'sc1', 1, management=states.MANAGED, availability=states.ONLINE)
    api.post_json(GROUPS, {'peer-group-name': 'pg1'})
    forms.patch_form(api, 'sc1', {'peer_group': 'pg1'})
    resp = forms.patch_form(api, 'sc1', {'management-state': 'unmanaged'}, status=400,
                            headers=JSON)
    assert resp.json['error'] == 'SubcloudInPeerGroup'
    body = forms.patch_form(peer, 'sc1', {'management-state': 'unmanaged'}).json
    assert (body['management-state'], body['peer_group_id'] is not None) == ('unmanaged', True)
    resp = forms.patch_form(peer, 'sc1', {'management-state': 'managed',
                                          'description': 'and this'}, status=409, headers=JSON)
    assert resp.json['error'] == 'SubcloudNotSecondary'


# ------------------------------------------------------------------ who the peer is

@pytest.mark.parametrize('roles,project', [
    (('admin',), 'admin'), (('configurator',), 'admin'), (('operator',), 'admin'),
    (('reader',), 'admin'), (('dcmanager-peer',), 'demo'), ((), 'services')])
def test_only_the_peer_role_in_a_system_project_writes_copies(api, site_a, roles, project):
    other = harness.app_as(*roles, project_name=project, headers={'User-Agent': 'dcmanager/1.0'})
    resp = other.post_json(GROUPS, _copy_body(), headers=JSON, status=(400, 403))
    assert resp.status_int == 400 or 'dc_api:subcloud_peer_groups' in resp.json['description']
    assert _groups(api) == []


def test_the_peer_reads_what_it_syncs(peer, copy, copy_association, secondary, site_a):
    assert peer.get(GROUPS).json['subcloud_peer_groups'] == [copy]
    assert peer.get(ASSOCIATIONS).json['peer_group_associations'][0]['id'] == \
        copy_association['id']
    assert peer.get('%s/%s/detail' % (SUBCLOUDS, REGION)).json['id'] == secondary['id']
    assert peer.get('/v1.0/system-peers/%s' % SITE_A).json['id'] == site_a['id']


def test_a_configured_peer_role_is_the_one_that_counts(api, site_a):
    from dcmanager.api import policy
    from dcmanager.conf import CONF
    CONF.set_override('role', 'geo-peer', group='peer')
    policy.reset()
    try:
        harness.app_as('dcmanager-peer', project_name='services').post_json(
            GROUPS, _copy_body(), status=403)
        harness.app_as('geo-peer', project_name='services').post_json(GROUPS, _copy_body())
    finally:
        CONF.clear_override('role', group='peer')
        policy.reset()
    assert [g['peer_group_name'] for g in _groups(api)] == ['pg-a']


def test_a_secondary_copy_is_added_in_the_copy_of_its_group(api, peer, copy):
    form, files = _secondary_form(peer_group=str(copy['id']))
    added = forms.post_add(peer, form, files).json
    assert (added['deploy-status'], added['peer_group_id']) == ('secondary', copy['id'])


def test_a_secondary_copy_is_added_in_no_primary_group(api, peer):
    api.post_json(GROUPS, {'peer-group-name': 'pg1'})
    form, files = _secondary_form(peer_group='pg1')
    resp = forms.post_add(peer, form, files, status=409, headers=JSON)
    assert resp.json['error'] == 'SubcloudPeerGroupIsPrimary'
    assert forms.list_state(api)['subclouds'] == []


# ------------------------------------------------------------------ the leader's audit of a copy

def _view(**changes):
    view = {'peer_uuid': SITE_A, 'peer_group_name': 'pg-a', 'group_priority': '0',
            'group_state': 'enabled', 'system_leader_id': SITE_A,
            'system_leader_name': 'site-a', 'migration_status': 'none', 'leader_term': '3'}
    view.update(changes)
    return {k: v for k, v in view.items() if v is not None}


def test_the_leader_audits_its_copy(api, peer, copy):
    path = '%s/%s/audit' % (GROUPS, copy['peer_group_uuid'])
    assert peer.patch_json(path, _view(migration_status='migrating', leader_term='4',
                                       system_leader_name='site-a-renamed')).json == {
        'message': None}
    shown = api.get('%s/%d' % (GROUPS, copy['id'])).json
    assert (shown['migration_status'], shown['leader_term'], shown['system_leader_name']) == (
        'migrating', 4, 'site-a-renamed')
    peer.patch_json(path, _view(leader_term='4'))
    assert api.get('%s/%d' % (GROUPS, copy['id'])).json['migration_status'] is None


def test_an_audit_with_an_older_term_is_refused(api, peer, copy):
    path = '%s/%s/audit' % (GROUPS, copy['peer_group_uuid'])
    resp = peer.patch_json(path, _view(leader_term='2', migration_status='migrating'),
                           headers=JSON, status=409)
    assert resp.json['error'] == 'LeaderTermStale'
    assert api.get('%s/%d' % (GROUPS, copy['id'])).json == copy


@pytest.mark.parametrize('changes,message', [
    ({'peer_uuid': str(uuid.uuid4())}, 'sent by the site that leads the group'),
    ({'peer_uuid': None}, 'peer_uuid required'),
    ({'leader_term': '0'}, 'Invalid leader_term'),
    ({'migration_status': 'done'}, 'Invalid migration_status'),
])
def test_an_audit_is_checked(api, peer, copy, changes, message):
    path = '%s/%s/audit' % (GROUPS, copy['peer_group_uuid'])
    resp = peer.patch_json(path, _view(**changes), headers=JSON, status=400)
    assert message in resp.json['description']
    assert api.get('%s/%d' % (GROUPS, copy['id'])).json == copy


def test_only_the_peer_audits_and_only_a_copy(api, peer, copy):
    """A primary group here takes the peer's view only in a newer term than its own (the
    fence of a migration there: test_migration.py); in its own term it is 409."""
    path = '%s/%s/audit' % (GROUPS, copy['peer_group_uuid'])
    api.patch_json(path, _view(), headers=JSON, status=403)
    primary = api.post_json(GROUPS, {'peer-group-name': 'pg1'}).json
    resp = peer.patch_json('%s/%d/audit' % (GROUPS, primary['id']), _view(leader_term='1'),
                           headers=JSON, status=409)
    assert resp.json['error'] == 'SubcloudPeerGroupIsPrimary'
    assert api.get('%s/%d' % (GROUPS, primary['id'])).json == primary


def test_an_audit_naming_another_leader_in_the_same_term_is_refused(api, peer, copy):
    """Two leaders in one term (split leadership): the copy gives way to neither."""
    site_c = str(uuid.uuid4())
    api.post_json('/v1.0/system-peers', {
        'peer_uuid': site_c, 'peer_name': 'site-c', 'manager_endpoint': 'http://127.0.0.1:9/v3',
        'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(b'Peer-Secret*43').decode(),
        'peer_controller_gateway_address': '127.0.2.3'})
    path = '%s/%s/audit' % (GROUPS, copy['peer_group_uuid'])
    resp = peer.patch_json(path, _view(peer_uuid=site_c, system_leader_id=site_c,
                                       system_leader_name='site-c'), headers=JSON, status=409)
    assert resp.json['error'] == 'LeaderConflict'
    assert api.get('%s/%d' % (GROUPS, copy['id'])).json == copy
    # In a newer term the other leader is taken.
    peer.patch_json(path, _view(peer_uuid=site_c, system_leader_id=site_c,
                                system_leader_name='site-c', leader_term='4'))
    assert api.get('%s/%d' % (GROUPS, copy['id'])).json['system_leader_name'] == 'site-c'


def _lease(group_id, owner, seconds):
    until = (datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
             + datetime.timedelta(seconds=seconds))
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.SubcloudPeerGroup)
                     .where(models.SubcloudPeerGroup.id == group_id)
                     .values(audit_owner=owner, audit_lease_until=until,
                             updated_at=models.SubcloudPeerGroup.updated_at))


def test_an_audit_waits_for_the_one_under_way(api, peer, copy):
    """Another audit of the group holds its lease: 409, nothing written; once that lease
    has ended (its manager died), the audit is taken, and the lease is released after."""
    path = '%s/%s/audit' % (GROUPS, copy['peer_group_uuid'])
    _lease(copy['id'], 'site:other-manager/1', 60)
    resp = peer.patch_json(path, _view(leader_term='4'), headers=JSON, status=409)
    assert resp.json['error'] == 'PeerGroupAuditInProgress'
    assert api.get('%s/%d' % (GROUPS, copy['id'])).json == copy
    _lease(copy['id'], 'site:other-manager/1', -1)
    peer.patch_json(path, _view(leader_term='4'))
    assert api.get('%s/%d' % (GROUPS, copy['id'])).json['leader_term'] == 4
    with db_api.get_engine().connect() as conn:
        row = conn.execute(sa.select(models.SubcloudPeerGroup).where(
            models.SubcloudPeerGroup.id == copy['id'])).one()
    assert (row.audit_owner, row.audit_lease_until) == (None, None)


# ------------------------------------------------------------------ the writer's leader term

def test_a_member_write_with_an_older_leader_term_is_refused(api, peer, copy):
    """The copy is at term 3: a push of term 2 comes from a site that no longer leads the
    group, and adds or changes nothing; term 3 is taken."""
    form, files = _secondary_form(peer_group=str(copy['id']), leader_term='2')
    resp = forms.post_add(peer, form, files, status=409, headers=JSON)
    assert resp.json['error'] == 'LeaderTermStale'
    assert forms.list_state(api)['subclouds'] == []
    form, files = _secondary_form(peer_group=str(copy['id']), leader_term='3')
    added = forms.post_add(peer, form, files).json
    path = '%s/%s' % (SUBCLOUDS, REGION)
    resp = peer.patch_json(path, {'description': 'stale', 'leader_term': 2}, headers=JSON,
                           status=409)
    assert resp.json['error'] == 'LeaderTermStale'
    assert api.get(path + '/detail').json == added
    assert peer.patch_json(path, {'description': 'now', 'leader_term': '3'}).json[
        'description'] == 'now'


def test_an_association_write_with_an_older_leader_term_is_refused(api, peer, copy, site_a):
    body = {'peer_group_id': str(copy['id']), 'system_peer_id': str(site_a['id'])}
    resp = peer.post_json(ASSOCIATIONS, dict(body, leader_term='2'), headers=JSON, status=409)
    assert resp.json['error'] == 'LeaderTermStale'
    assert _assoc_rows() == []
    assoc = peer.post_json(ASSOCIATIONS, dict(body, leader_term='3')).json
    path = '%s/%d' % (ASSOCIATIONS, assoc['id'])
    resp = peer.patch_json(path, {'sync_status': 'in-sync', 'leader_term': '2'}, headers=JSON,
                           status=409)
    assert resp.json['error'] == 'LeaderTermStale'
    assert api.get(path).json['sync-status'] == 'syncing'
    assert peer.patch_json(path, {'sync_status': 'in-sync', 'leader_term': 3}).json[
        'sync-status'] == 'in-sync'
    for resp in (peer.patch_json(path, {'leader_term': '3'}, headers=JSON, status=400),
                 api.patch_json(path.replace(str(assoc['id']), '999'), {'leader_term': '3'},
                                headers=JSON, status=404)):
        assert resp.json['description']


def test_an_operator_sends_no_leader_term(api, site_a):
    group = api.post_json(GROUPS, {'peer-group-name': 'pg1'}).json
    resp = api.post_json(ASSOCIATIONS, {'peer_group_id': group['id'],
                                        'system_peer_id': site_a['id'],
                                        'peer_group_priority': 2, 'leader_term': 1},
                         headers=JSON, status=400)
    assert 'leader_term is sent by the peer site' in resp.json['description']
    assert _assoc_rows() == []
