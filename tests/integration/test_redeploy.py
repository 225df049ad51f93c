"""A failed enrollment retried with ``dcmanager subcloud redeploy`` until the subcloud is
enrolled and audited: the API, the manager, the audit and the simulated subclouds over real
sockets (plain HTTP on loopback addresses).
"""

import time

import pytest
import yaml

from dcmanager.audit import service as audit_service
from dcmanager.conf import CONF
from tests import subcloud_forms as forms
from tests.integration import sim_fixture

BASE = '/v1.0/subclouds'
PASSWORD = 'Sim-Redeploy-Pw-3'
COUNT = 3


@pytest.fixture(scope='module')
def sim(tmp_path_factory):
    yield from sim_fixture.running(tmp_path_factory, 'redeploysim', count=COUNT,
                                   first_address='127.0.9.1', admin_password=PASSWORD)


@pytest.fixture
def api(site, sim):
    yield from sim_fixture.site_app(site, sim)


def _add(api, name, n, address, password=PASSWORD):
    boot = forms.bootstrap_values(name, n, admin_password=password)
    form, files = forms.add_request(name, n, address=address, bootstrap=boot)
    return forms.wait_settled(api, forms.post_add(api, form, files).json['id'])


def _redeploy(api, name, files=None, **fields):
    fields.setdefault('sysadmin_password', forms.b64('Sys-Pa55-Redeploy'))
    body, content_type = forms.cli_multipart(fields, files)
    resp = api.patch('%s/%s/redeploy' % (BASE, name), body,
                     headers={'Content-Type': content_type})
    assert resp.json['deploy-status'] in ('pre-enroll', 'enrolling', 'complete')
    return forms.wait_settled(api, resp.json['id'])


def _audited_online(api, sim, address, name):
    """Manage the subcloud, run the audit until it has audited it twice: it stays online."""
    forms.patch_form(api, name, {'management-state': 'managed'})
    before = sim.counters(address)['audits']
    for option, value in (('interval', 1), ('scan_interval', 0.2)):
        CONF.set_override(option, value, group='audit')
    audit = audit_service.AuditService()
    audit.start()
    try:
        deadline = time.monotonic() + 20
        while sim.counters(address)['audits'] < before + 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        audit.stop()
        for option in ('interval', 'scan_interval'):
            CONF.clear_override(option, group='audit')
    assert sim.counters(address)['audits'] >= before + 2
    body = api.get('%s/%s' % (BASE, name)).json
    assert body['availability-status'] == 'online' and body['management-state'] == 'managed'
    return body


def test_a_wrong_admin_password_fixed_by_redeploy(api, sim):
    address = sim.addresses[0]
    failed = _add(api, 'sc1', 1, address, password='Not-The-Sim-Pw-9')
    assert failed['deploy-status'] == 'pre-enroll-failed'
    assert 'HTTP 401' in failed['error-description']
    assert 'redeploy' in failed['error-description']
    boot = forms.bootstrap_values('sc1', 1, admin_password=PASSWORD)
    done = _redeploy(api, 'sc1', {'bootstrap_values': ('sc1.yaml', yaml.safe_dump(boot))})
    assert done['deploy-status'] == 'complete', done['error-description']
    assert done['error-description'] == 'No errors present'
    assert done['region-name'] == sim.subcloud(address)['region_name']
    _audited_online(api, sim, address, 'sc1')


def test_a_subcloud_that_was_down_enrolls_on_a_plain_retry(api, sim):
    address = sim.addresses[1]
    sim.action(address, 'down')
    try:
        failed = _add(api, 'sc2', 2, address)
    finally:
        sim.action(address, 'up')
    assert failed['deploy-status'] == 'pre-enroll-failed'
    assert 'unreachable' in failed['error-description']
    done = _redeploy(api, 'sc2')
    assert done['deploy-status'] == 'complete', done['error-description']
    _audited_online(api, sim, address, 'sc2')


def test_a_wrong_address_fixed_by_the_install_values(api, sim):
    address = sim.addresses[2]
    failed = _add(api, 'sc3', 3, '127.0.9.200')  # no simulated subcloud there
    assert failed['deploy-status'] == 'pre-enroll-failed'
    install = {'bootstrap_address': address, 'bmc_password': 'unused'}
    done = _redeploy(api, 'sc3', {'install_values': ('sc3-install.yaml', yaml.safe_dump(install))},
                     bmc_password=forms.b64('Bmc-Pa55-Redeploy'))
    assert done['deploy-status'] == 'complete', done['error-description']
    assert done['region-name'] == sim.subcloud(address)['region_name']
    _audited_online(api, sim, address, 'sc3')
