"""Adding subclouds enrolls them: the API, the manager and the simulated subclouds over real
sockets (plain HTTP on loopback addresses).

The simulator's counters are the ground truth for what the site asked of each subcloud.
"""

import logging
import socket
import time

import pytest

from dcmanager import objects
from dcmanager.audit import service as audit_service
from dcmanager.common import states
from dcmanager.conf import CONF
from dcmanager.manager import service as manager_service
from dcmanager.simulator import addresses
from tests import subcloud_forms as forms
from tests.integration import sim_fixture

BASE = '/v1.0/subclouds'
PASSWORD = 'Sim-Enroll-Pw-1'
COUNT = 9


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'enrollsim', count=COUNT,
                                   first_address='127.0.5.1', admin_password=PASSWORD)


@pytest.fixture
def api(site, sim):
    yield from sim_fixture.site_app(site, sim)


def _add(api, name, n, address, password=PASSWORD):
    boot = forms.bootstrap_values(name, n, admin_password=password)
    form, files = forms.add_request(name, n, address=address, bootstrap=boot)
    return forms.post_add(api, form, files).json


def test_three_subclouds_enroll_with_their_regions(api, sim, caplog):
    caplog.set_level(logging.DEBUG)
    chosen = sim.addresses[:3]
    before = {address: sim.counters(address)['token_posts'] for address in chosen}
    added = [_add(api, 'sc%d' % n, n, address) for n, address in enumerate(chosen, 1)]
    assert {a['deploy-status'] for a in added} == {'pre-enroll'}
    for subcloud, address in zip(added, chosen, strict=True):
        done = forms.wait_settled(api, subcloud['id'])
        assert done['deploy-status'] == 'complete', done['error-description']
        assert done['region-name'] == sim.subcloud(address)['region_name']
        assert done['region-name'] == addresses.region_name(address)
        assert done['availability-status'] == 'online'
        assert done['error-description'] == 'No errors present'
        # at most one token request per subcloud for the whole enrollment
        assert sim.counters(address)['token_posts'] - before[address] <= 1
        assert sim.counters(address)['audits'] >= 1
    rows = api.get(BASE).json['subclouds']
    assert [r['deploy-status'] for r in rows] == ['complete'] * 3
    logged = '\n'.join(record.getMessage() for record in caplog.records)
    assert 'auth/tokens' in logged  # keystoneauth's request log is there...
    assert PASSWORD not in logged  # ...without the password
    # enrolled and online: it can be managed without force
    body = forms.patch_form(api, 'sc1', {'management-state': 'managed'}).json
    assert body['management-state'] == 'managed'


def test_wrong_admin_password_fails_with_a_clear_reason(api, sim):
    address = sim.addresses[3]
    wrong = 'Not-The-Sim-Pw-9'
    added = _add(api, 'sc4', 4, address, password=wrong)
    done = forms.wait_settled(api, added['id'])
    assert done['deploy-status'] == 'pre-enroll-failed'
    assert 'HTTP 401' in done['error-description']
    assert 'admin_password' in done['error-description']
    assert wrong not in done['error-description'] and PASSWORD not in done['error-description']
    assert done['region-name'] is None


def test_a_region_another_subcloud_has_is_refused(api, sim, site):
    ctx = site.context()
    address = sim.addresses[4]
    # another subcloud already holds the region of the subcloud at ``address``
    other = objects.Subcloud(name='holder', group_id=1, management_state=states.UNMANAGED,
                             availability_status=states.OFFLINE,
                             deploy_status=states.DEPLOY_COMPLETE,
                             error_description=states.DEFAULT_ERROR_DESCRIPTION,
                             region_name=addresses.region_name(address))
    other.create(ctx)
    added = _add(api, 'sc5', 5, address)
    done = forms.wait_settled(api, added['id'])
    assert done['deploy-status'] == 'pre-enroll-failed'
    assert 'which subcloud holder already has' in done['error-description']


def test_an_offline_subcloud_enrolls_offline(api, sim):
    address = sim.addresses[5]
    sim.patch(address, availability='offline')
    try:
        added = _add(api, 'sc6', 6, address)
        done = forms.wait_settled(api, added['id'])
    finally:
        sim.patch(address, availability='online')
    assert done['deploy-status'] == 'complete'
    assert done['availability-status'] == 'offline'


def test_an_unreachable_audit_agent_fails_the_enrolling_step(api, sim):
    address = sim.addresses[5]
    with socket.socket() as s:
        s.bind((address, 0))
        closed = s.getsockname()[1]
    CONF.set_override('agent_port', closed, group='subcloud')
    added = _add(api, 'sc6', 6, address)
    done = forms.wait_settled(api, added['id'])
    assert done['deploy-status'] == 'enroll-failed'
    assert 'audit agent' in done['error-description']
    assert done['region-name'] == addresses.region_name(address)


def test_a_manager_start_recovers_an_interrupted_enrollment(api, site):
    ctx = site.context()
    stuck = objects.Subcloud(name='stuck', group_id=1, management_state=states.UNMANAGED,
                             availability_status=states.OFFLINE,
                             deploy_status=states.DEPLOY_ENROLLING,
                             error_description=states.DEFAULT_ERROR_DESCRIPTION)
    stuck.create(ctx)
    fresh = manager_service.ManagerService(host='recovery-test')
    fresh.start()
    fresh.stop()
    done = api.get(BASE + '/stuck').json
    assert done['deploy-status'] == 'enroll-failed'
    assert 'manager running the operation stopped' in done['error-description']


def test_enrollment_and_the_audit_share_one_token(api, sim):
    """The manager's enrollment and the audit use the process's one pool of calls to subclouds:
    a new subcloud costs one token request for its enrollment and all its audits."""
    address = sim.addresses[6]
    sim.action(address, 'reset-counters')
    added = _add(api, 'sc7', 7, address)
    assert forms.wait_settled(api, added['id'])['deploy-status'] == 'complete'
    forms.patch_form(api, 'sc7', {'management-state': 'managed'})
    for name, value in (('interval', 1), ('scan_interval', 0.2)):
        CONF.set_override(name, value, group='audit')
    audit = audit_service.AuditService()
    audit.start()
    try:
        deadline = time.monotonic() + 20
        while sim.counters(address)['audits'] < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        audit.stop()
        for name in ('interval', 'scan_interval'):
            CONF.clear_override(name, group='audit')
    counters = sim.counters(address)
    assert counters['audits'] >= 3, counters  # the enrollment's and at least two audits
    assert counters['token_posts'] == 1, counters


def test_https_against_a_plain_http_port_says_to_set_the_scheme(api, sim):
    address = sim.addresses[7]
    CONF.set_override('scheme', 'https', group='subcloud')
    try:
        added = _add(api, 'sc8', 8, address)
        done = forms.wait_settled(api, added['id'])
    finally:
        CONF.set_override('scheme', 'http', group='subcloud')
    assert done['deploy-status'] == 'pre-enroll-failed'
    assert ('https://%s:%d/v3: the port answers plain HTTP, not TLS; set [subcloud] scheme = '
            'http.' % (address, sim.identity_port)) in done['error-description']


def test_a_forbidden_token_request_fails_as_an_authentication_failure(api, sim):
    # The reason holds no "HTTP 401": the description follows the error's class.
    address = sim.addresses[8]
    sim.patch(address, status=403)
    try:
        added = _add(api, 'sc9', 9, address)
        done = forms.wait_settled(api, added['id'])
    finally:
        sim.patch(address, status=None)
    assert done['deploy-status'] == 'pre-enroll-failed'
    assert 'Authentication to the subcloud\'s identity service' in done['error-description']
    assert 'HTTP 403' in done['error-description']
    assert 'admin_password' in done['error-description']
    assert PASSWORD not in done['error-description']
