"""The audit of this site's side of its peer sites (``manager/peer_audit.py``), against a peer
that refuses every connection: what it asks for, and what it never does on a failure."""

import base64
import datetime
import uuid

import pytest
import sqlalchemy as sa

from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models
from tests import records

ASSOCIATIONS = '/v1.0/peer-group-associations'


@pytest.fixture
def association(api, refused_peer_url):
    """A primary association with site-b (refusing), settled, and site-b marked available."""
    peer = api.post_json('/v1.0/system-peers', {
        'peer_uuid': str(uuid.uuid4()), 'peer_name': 'site-b',
        'manager_endpoint': refused_peer_url, 'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(b'Peer-Secret*42').decode(),
        'peer_controller_gateway_address': '127.0.2.1'}).json
    group = api.post_json('/v1.0/subcloud-peer-groups', {'peer-group-name': 'pg1'}).json
    assoc = api.post_json(ASSOCIATIONS, {'peer_group_id': group['id'],
                                         'system_peer_id': peer['id'],
                                         'peer_group_priority': 2}).json
    records.settled_association(api, assoc['id'])
    _set(models.SystemPeer, peer['id'], availability_state='available')
    return assoc


def _set(model, row_id, **values):
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(model).where(model.id == row_id).values(**values))


def test_an_out_of_sync_association_is_synced_again(api, site, association):
    _set(models.PeerGroupAssociation, association['id'], sync_status='out-of-sync',
         sync_message=None)
    site.manager.audit.run()
    done = records.settled_association(api, association['id'])
    # It ran again (and failed again, the peer refusing): not left out-of-sync.
    assert done['sync-status'] == 'failed'
    assert 'could not be reached' in done['sync-message']


@pytest.mark.parametrize('status', ['failed', 'in-sync', 'unknown'])
def test_only_out_of_sync_is_synced_again(api, site, association, status):
    _set(models.PeerGroupAssociation, association['id'], sync_status=status,
         sync_message='kept')
    site.manager.audit.run()
    assert api.get('%s/%d' % (ASSOCIATIONS, association['id'])).json['sync-message'] == 'kept'


def test_an_unavailable_peer_is_not_audited(api, site, association):
    _set(models.SystemPeer, association['system-peer-id'], availability_state='unavailable')
    _set(models.PeerGroupAssociation, association['id'], sync_status='out-of-sync')
    site.manager.audit.run()
    assert api.get('%s/%d' % (ASSOCIATIONS, association['id'])).json[
        'sync-status'] == 'out-of-sync'


def test_a_cleanup_stays_recorded_until_the_copies_are_gone(api, site, association):
    api.delete('%s/%d?force=true' % (ASSOCIATIONS, association['id']))
    site.manager.audit.run()
    with db_api.get_engine().connect() as conn:
        left = conn.execute(sa.select(models.PeerCleanup)).all()
    assert [row.peer_group_name for row in left] == ['pg1']


def _not_led_here(group_id):
    """The group led by another site in a newer term, as once its peer took it over."""
    _set(models.SubcloudPeerGroup, group_id, system_leader_id=str(uuid.uuid4()),
         system_leader_name='site-c', leader_term=2)


def _alarms(api):
    return [(a['alarm_id'], a['entity'], a['severity'])
            for a in api.get('/v1.0/site-alarms').json['site_alarms']]


def test_a_preferred_group_led_elsewhere_raises_280_005_until_it_is_gone(api, site,
                                                                         association):
    group = api.get('/v1.0/subcloud-peer-groups/pg1').json
    _not_led_here(group['id'])
    site.manager.audit.run()
    site.manager.audit.run()
    entity = 'peer_group=%s' % group['peer_group_uuid']
    assert _alarms(api) == [('280.005', entity, 'major')]
    alarm, = api.get('/v1.0/site-alarms').json['site_alarms']
    assert 'led by site-c (leader term 2), not by this site' in alarm['reason']
    assert 'dcmanager subcloud-peer-group migrate pg1' in alarm['repair']
    api.delete('%s/%d?force=true' % (ASSOCIATIONS, association['id']))
    api.delete('/v1.0/subcloud-peer-groups/%d' % group['id'])
    site.manager.audit.run()
    assert _alarms(api) == []


def test_a_group_whose_audit_is_under_way_elsewhere_is_left_to_it(api, site, association):
    group = api.get('/v1.0/subcloud-peer-groups/pg1').json
    _not_led_here(group['id'])
    until = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + \
        datetime.timedelta(seconds=60)
    _set(models.SubcloudPeerGroup, group['id'], audit_owner='other-manager/1',
         audit_lease_until=until)
    site.manager.audit.run()
    assert _alarms(api) == []
    # Its manager died: the lease ends, and the next audit takes the group.
    _set(models.SubcloudPeerGroup, group['id'],
         audit_lease_until=until - datetime.timedelta(seconds=120))
    site.manager.audit.run()
    assert [a[0] for a in _alarms(api)] == ['280.005']
