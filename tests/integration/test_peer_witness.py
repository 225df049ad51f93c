"""The subclouds as witnesses while the peer site cannot be asked (``manager/peer_witness.py``):
a site leads pg1 (three managed subclouds of the simulator) associated with a peer that refuses
every connection. sc1 was rehomed meanwhile to another system controller (as the peer's
migration would have done), sc2 to this site's own gateway, sc3 never: the audit (peer
``unavailable``, or ``available`` and refusing) and the confirmation at start release sc1 only
(unmanaged, ``rehome-pending``); a subcloud that does not answer is left as it is.
"""

import base64
import socket
import uuid

import pytest
import sqlalchemy as sa

from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models
from dcmanager.drivers import identity
from dcmanager.drivers import subcloud as subcloud_driver
from tests import records
from tests import subcloud_forms as forms
from tests.integration import sim_fixture

PASSWORD = 'Sim-Witness-Pw-3'
# The gateway this site gives its subclouds (forms.bootstrap_values); the peer's is another.
OWN_GATEWAY = '127.19.0.1'
PEER_GATEWAY = '127.0.2.2'


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'witnesssim', count=3,
                                   first_address='127.0.16.1', admin_password=PASSWORD,
                                   rehome_seconds=0.1)


@pytest.fixture
def api(site, sim):
    yield from sim_fixture.site_app(site, sim)


def _refused_url():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return 'http://127.0.0.1:%d/v3' % sock.getsockname()[1]


def _rehome(sim, address, controller):
    cache = identity.TokenCache(identity.MemoryTokenStore(max_entries=10),
                                early_renewal_seconds=300, jitter_seconds=0, renewal_timeout=10)
    client = subcloud_driver.SubcloudClient(
        identity.SessionPool(cache, timeout=(1.0, 5.0)), sim.identity_url(address),
        sim.agent_url(address), 'admin', PASSWORD)
    client.start_rehome(controller, address)
    assert client.wait_rehome(within=20, poll=0.05)['state'] == subcloud_driver.REHOMED


def _set(model, row_id, **values):
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.update(model).where(model.id == row_id).values(**values))


@pytest.fixture
def led_group(api, sim):
    """pg1 led here, associated with a refusing peer, with sc1..sc3 managed; sc1 rehomed to
    the peer's gateway, sc2 to this site's own."""
    peer = api.post_json('/v1.0/system-peers', {
        'peer_uuid': str(uuid.uuid4()), 'peer_name': 'site-b',
        'manager_endpoint': _refused_url(), 'manager_username': 'dcmanager',
        'manager_password': base64.b64encode(b'Peer-Secret*42').decode(),
        'peer_controller_gateway_address': PEER_GATEWAY}).json
    group = api.post_json('/v1.0/subcloud-peer-groups', {'peer-group-name': 'pg1'}).json
    for n, address in enumerate(sim.addresses, 1):
        boot = forms.bootstrap_values('sc%d' % n, n, admin_password=PASSWORD)
        form, files = forms.add_request('sc%d' % n, n, address=address, bootstrap=boot)
        added = forms.post_add(api, form, files).json
        assert forms.wait_settled(api, added['id'])['deploy-status'] == 'complete'
        forms.patch_form(api, 'sc%d' % n, {'management-state': 'managed'})
        api.patch_json('/v1.0/subclouds/sc%d' % n, {'peer_group': str(group['id'])})
    assoc = api.post_json('/v1.0/peer-group-associations', {
        'peer_group_id': group['id'], 'system_peer_id': peer['id'],
        'peer_group_priority': 2}).json
    records.settled_association(api, assoc['id'])
    _rehome(sim, sim.addresses[0], PEER_GATEWAY)
    _rehome(sim, sim.addresses[1], OWN_GATEWAY)
    return peer


def _states(api):
    return {s['name']: (s['deploy-status'], s['management-state'])
            for s in api.get('/v1.0/subclouds').json['subclouds']}


HELD = ('complete', 'managed')
RELEASED = ('rehome-pending', 'unmanaged')


@pytest.mark.parametrize('availability', ['unavailable', 'available'])
def test_the_audit_releases_only_a_member_rehomed_elsewhere(api, site, led_group,
                                                           availability):
    _set(models.SystemPeer, led_group['id'], availability_state=availability)
    site.manager.audit.run()
    assert _states(api) == {'sc1': RELEASED, 'sc2': HELD, 'sc3': HELD}


def test_at_start_a_peer_that_does_not_answer_lets_the_members_witness(api, site, led_group):
    # Its last known availability does not matter at start: the peer is asked first.
    _set(models.SystemPeer, led_group['id'], availability_state='available')
    site.manager.audit.confirm_at_start()
    assert _states(api) == {'sc1': RELEASED, 'sc2': HELD, 'sc3': HELD}


def test_a_member_that_does_not_answer_is_left_as_it_is(api, site, led_group, sim):
    _set(models.SystemPeer, led_group['id'], availability_state='unavailable')
    sim.action(sim.addresses[0], 'down')
    try:
        site.manager.audit.run()
        assert _states(api)['sc1'] == HELD
    finally:
        sim.action(sim.addresses[0], 'up')
    site.manager.audit.run()
    assert _states(api)['sc1'] == RELEASED


def test_a_group_this_site_does_not_lead_is_not_asked(api, site, led_group):
    group = api.get('/v1.0/subcloud-peer-groups/pg1').json
    _set(models.SubcloudPeerGroup, group['id'], system_leader_id=str(uuid.uuid4()),
         leader_term=2)
    _set(models.SystemPeer, led_group['id'], availability_state='unavailable')
    site.manager.audit.run()
    assert _states(api)['sc1'] == HELD
