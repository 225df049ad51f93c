"""The heartbeat of the peer sites, driven one beat at a time against a real socket.

The peer here refuses every connection (a port nothing listens on): each heartbeat fails for
real, at once. The watch is claimed as the manager's tick claims it (a lease in the database),
then ``PeerMonitor.beat`` runs as its queue would run it. The recovery (a peer that answers
again) needs a real peer site: tests/integration/test_two_sites.py.
"""

import base64
import datetime
import uuid

import pytest
import sqlalchemy as sa

from dcmanager import objects
from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models

SITE_B = str(uuid.uuid4())


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@pytest.fixture
def peer(api, refused_peer_url):
    """site-b (threshold 2), with a primary association in-sync and this site's copy of a
    group it leads."""
    peer = api.post_json('/v1.0/system-peers', {
        'peer_uuid': SITE_B, 'peer_name': 'site-b', 'manager_endpoint': refused_peer_url,
        'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(b'Peer-Secret*42').decode(),
        'peer_controller_gateway_address': '127.0.2.1', 'heartbeat_interval': '10',
        'heartbeat_failure_threshold': '2'}).json
    group = api.post_json('/v1.0/subcloud-peer-groups', {'peer-group-name': 'pg1'}).json
    assoc = api.post_json('/v1.0/peer-group-associations', {
        'peer_group_id': group['id'], 'system_peer_id': peer['id'],
        'peer_group_priority': 2}).json
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.PeerGroupAssociation).values(
            sync_status='in-sync', sync_owner=None, sync_message=None))
    peer['association_id'] = assoc['id']
    return peer


def _claim(ctx, peer_id, owner, now=None):
    now = now or _utcnow()
    return objects.SystemPeer.claim_heartbeat(ctx, peer_id, 10, owner, now,
                                              now + datetime.timedelta(seconds=30))


def _peer_row(peer_id):
    with db_api.get_engine().connect() as conn:
        return conn.execute(sa.select(models.SystemPeer).where(
            models.SystemPeer.id == peer_id)).one()


def test_threshold_failures_make_the_peer_unavailable_and_raise_the_alarm_once(
        api, ctx, site, peer):
    monitor, host = site.manager.monitor, site.manager.host
    assert _claim(ctx, peer['id'], host)
    monitor.beat(ctx, peer['id'])
    assert (_peer_row(peer['id']).heartbeat_failures,
            api.get('/v1.0/system-peers/site-b').json['availability-state']) == (1, 'created')
    assert api.get('/v1.0/site-alarms').json == {'site_alarms': []}
    monitor.beat(ctx, peer['id'])
    assert api.get('/v1.0/system-peers/site-b').json['availability-state'] == 'unavailable'
    alarms = api.get('/v1.0/site-alarms').json['site_alarms']
    assert [(a['alarm_id'], a['entity'], a['severity']) for a in alarms] == [
        ('280.004', 'peer=%s' % SITE_B, 'major')]
    assert 'did not answer 2 heartbeats in a row' in alarms[0]['reason']
    assoc = api.get('/v1.0/peer-group-associations/%d' % peer['association_id']).json
    assert (assoc['sync-status'], assoc['sync-message']) == (
        'unknown', 'Peer site (site-b) is unreachable.')
    # Down it stays: counted on, nothing repeated (the reference repeated its actions).
    monitor.beat(ctx, peer['id'])
    assert _peer_row(peer['id']).heartbeat_failures == 3
    assert api.get('/v1.0/site-alarms').json['site_alarms'] == alarms


def test_a_manager_dying_between_the_availability_and_the_alarm_writes_neither(
        api, ctx, site, peer, monkeypatch):
    """The availability and the alarm are one transaction: a failure between the two (the
    manager dying there) keeps neither, so the next beat makes the transition whole. Written
    in two, the peer stayed unavailable with no alarm, and nothing raised it again."""
    monitor, host = site.manager.monitor, site.manager.host
    assert _claim(ctx, peer['id'], host)
    monitor.beat(ctx, peer['id'])
    raise_alarm = objects.SiteAlarm.raise_alarm

    def dies(*args, **kwargs):
        raise RuntimeError('the manager died here')

    monkeypatch.setattr(objects.SiteAlarm, 'raise_alarm', staticmethod(dies))
    with pytest.raises(RuntimeError):
        monitor.beat(ctx, peer['id'])
    assert api.get('/v1.0/system-peers/site-b').json['availability-state'] == 'created'
    assoc = api.get('/v1.0/peer-group-associations/%d' % peer['association_id']).json
    assert assoc['sync-status'] == 'in-sync'
    monkeypatch.setattr(objects.SiteAlarm, 'raise_alarm', staticmethod(raise_alarm))
    monitor.beat(ctx, peer['id'])
    assert api.get('/v1.0/system-peers/site-b').json['availability-state'] == 'unavailable'
    assert [a['alarm_id'] for a in api.get('/v1.0/site-alarms').json['site_alarms']] == [
        '280.004']


def test_the_alarm_is_critical_when_the_peer_leads_a_group_held_here(api, ctx, site, peer):
    api.post_json('/v1.0/subcloud-peer-groups', {'peer-group-name': 'pg-b'})
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(models.SubcloudPeerGroup).where(
            models.SubcloudPeerGroup.peer_group_name == 'pg-b').values(
            group_priority=3, system_leader_id=SITE_B, system_leader_name='site-b'))
    assert _claim(ctx, peer['id'], site.manager.host)
    for _ in range(2):
        site.manager.monitor.beat(ctx, peer['id'])
    alarm, = api.get('/v1.0/site-alarms').json['site_alarms']
    assert alarm['severity'] == 'critical'
    assert 'pg-b' in alarm['reason'] and 'migrate pg-b' in alarm['repair']


def test_one_manager_watches_a_peer_until_its_lease_ends(api, ctx, site, peer):
    now = _utcnow()
    assert _claim(ctx, peer['id'], 'manager-a', now)
    # Not due again (and watched by manager-a) for another manager, nor for it.
    assert not _claim(ctx, peer['id'], 'manager-b', now)
    later = now + datetime.timedelta(seconds=11)
    assert not _claim(ctx, peer['id'], 'manager-b', later)  # due, but manager-a's lease holds
    assert _claim(ctx, peer['id'], 'manager-a', later)  # its watcher renews it
    # The count is the watcher's only: the others' results are not counted.
    assert objects.SystemPeer.record_heartbeat(ctx, peer['id'], 'manager-b', False) is None
    assert objects.SystemPeer.record_heartbeat(ctx, peer['id'], 'manager-a', False) == (
        1, 'created')
    # manager-a is dead: its lease ends, manager-b takes the watch over.
    assert _claim(ctx, peer['id'], 'manager-b', later + datetime.timedelta(seconds=60))
    assert _peer_row(peer['id']).monitor_owner == 'manager-b'


def test_only_peers_with_an_association_are_watched(api, ctx, peer):
    lone = api.post_json('/v1.0/system-peers', {
        'peer_uuid': str(uuid.uuid4()), 'peer_name': 'site-c',
        'manager_endpoint': 'http://127.0.0.1:9/v3', 'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(b'Other-Secret*7').decode(),
        'peer_controller_gateway_address': '127.0.2.3'}).json
    watched = [peer_id for peer_id, _ in objects.SystemPeer.watched(ctx)]
    assert watched == [peer['id']] and lone['id'] not in watched


def test_the_site_alarms_need_a_reading_role(api):
    from tests import harness
    assert harness.app_as('reader').get('/v1.0/site-alarms').json == {'site_alarms': []}
    harness.app_as('member').get('/v1.0/site-alarms', status=403)
