"""The two-site harness itself (``two_sites.py``), before any sync: each site answers behind its
own Keystone; the peer user of B finds B's dcmanager in its token's catalog and writes there a
copy of a group A leads, which B's own admin may not; B stopped refuses connections, and started
again still holds the copy (its database is kept).
"""

import uuid

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
import pytest
import requests

from tests.integration import sim_fixture, two_sites

pytestmark = pytest.mark.keystone

DOMAIN = 'default'


@pytest.fixture(scope='module')
def sites(tmp_path_factory):
    # The harness wires both sites to a simulator; this test adds no subcloud.
    with sim_fixture.Simulator(tmp_path_factory.mktemp('smoke-sim'), count=1) as sim, \
            two_sites.two_sites(str(tmp_path_factory.mktemp('smoke-sites')), sim) as pair:
        yield pair


def _copy_led_by(leader, name):
    return {'peer-group-name': name, 'group-priority': 2,
            'system-leader-id': leader.system_uuid, 'system-leader-name': leader.name,
            'peer-group-uuid': str(uuid.uuid4())}


def _as_peer_user(site):
    """What the other site does: the peer user's password, scoped to its project."""
    peer = site.keystone.users[two_sites.PEER_USER]
    auth = v3.Password(auth_url=site.keystone.url, username=peer.name, password=peer.password,
                       user_domain_id=DOMAIN, project_name=peer.project,
                       project_domain_id=DOMAIN)
    return ks_session.Session(auth=auth, timeout=30)


def test_each_site_answers_behind_its_own_keystone(sites):
    a, b = sites
    assert a.system_uuid != b.system_uuid and a.keystone.url != b.keystone.url
    for site in sites:
        assert requests.get(site.url + '/', timeout=30).json()['versions'][0]['id'] == 'v1.0'
        assert site.get('system-peers') == {'system_peers': []}
        # The other site's token means nothing here.
        other = a if site is b else b
        resp = requests.get(site.url + '/v1.0/system-peers', timeout=30,
                            headers={'X-Auth-Token': other.token()})
        assert resp.status_code == 401


def test_the_peer_user_writes_a_copy_that_survives_a_restart(sites):
    a, b = sites
    for here, there in ((a, b), (b, a)):
        got = here.call('POST', 'system-peers', json=there.peer_credentials()).json()
        assert (got['peer-uuid'], got['manager-endpoint']) == (there.system_uuid,
                                                               there.keystone.url)

    session = _as_peer_user(b)
    endpoint = session.get_endpoint(service_type='dcmanager', interface='public',
                                    region_name='SystemController')
    assert endpoint == b.url + '/v1.0'
    copy = _copy_led_by(a, 'pg-of-a')
    resp = session.post(endpoint + '/subcloud-peer-groups', json=copy, raise_exc=False,
                        headers={'Accept': 'application/json'})
    assert resp.status_code == 200, resp.text
    assert (resp.json()['group_priority'], resp.json()['system_leader_id']) == \
        (2, a.system_uuid)

    refused = b.call('POST', 'subcloud-peer-groups', json=_copy_led_by(a, 'pg-forged'),
                     expect=400).json()
    assert 'copies are made by the peer sites' in refused['description']

    b.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(b.url + '/', timeout=5)
    b.start()
    kept = b.get('subcloud-peer-groups')['subcloud_peer_groups']
    assert [(g['peer_group_name'], g['peer_group_uuid']) for g in kept] == \
        [('pg-of-a', copy['peer-group-uuid'])]
