"""PATCH /v1.0/subclouds/<ref>/redeploy: the retry of a failed enrollment, through the real WSGI
stack, manager, enrollment pool and database (requests built as ``dcmanager subcloud redeploy``
builds them: multipart, passwords base64).

The subclouds' addresses are loopback addresses on which nothing listens: every enrollment,
the retried ones too, ends in pre-enroll-failed, for real (tests/integration/test_redeploy.py
retries against the simulator until complete).
"""

import contextlib
import logging
import threading
import time

import pytest
import sqlalchemy as sa
import yaml

from dcmanager import objects
from dcmanager.common import states
from dcmanager.db import api as db_api
from dcmanager.manager import recovery
from tests import subcloud_forms as forms

BASE = forms.BASE
JSON = forms.JSON
NEW_ADMIN_PASSWORD = 'New-Adm1n-Pa55-Okapi'
NEW_SYSADMIN_PASSWORD = 'New-Sys-Pa55-Tapir'
NEW_BMC_PASSWORD = 'New-Bmc-Pa55-Dugong'


@pytest.fixture(autouse=True)
def unreachable(site):
    with forms.unreachable_subclouds() as port:
        yield port


@pytest.fixture
def hold_pool(site):
    """``hold_pool()`` makes each of the site manager's enrollment workers busy with a job that
    waits until the event it returns is set: an enrollment queued meanwhile (a redeploy's) stays
    in pre-enroll until then."""
    queue = site.manager.enroller.queue
    release = threading.Event()
    futures = []

    def hold():
        futures.extend(queue.submit(release.wait, 30) for _ in range(queue.workers))
        return release

    yield hold
    release.set()
    for future in futures:
        future.result(timeout=30)


def _failed(api, name='sc1', n=1):
    body = forms.add_settled(api, name, n)
    assert body['deploy-status'] == 'pre-enroll-failed', body
    return body


def _redeploy(api, ref, fields=None, files=None, status=200):
    body, content_type = forms.cli_multipart(fields, files)
    return api.patch('%s/%s/redeploy' % (BASE, ref), body, status=status,
                     headers=dict(JSON, **{'Content-Type': content_type}))


def _cli_fields(**extra):
    """The fields ``dcmanager subcloud redeploy`` always sends (it prompts for the password)."""
    return dict({'sysadmin_password': forms.b64(NEW_SYSADMIN_PASSWORD)}, **extra)


def _bootstrap_file(name='sc1', n=1, **changes):
    values = forms.bootstrap_values(name, n, **dict({'admin_password': NEW_ADMIN_PASSWORD},
                                                    **changes))
    return {'bootstrap_values': ('redeploy/bootstrap-%s.yaml' % name, yaml.safe_dump(values))}


def _stored(ctx, api, subcloud_id):
    """Everything a refused redeploy must leave as it was."""
    with db_api.get_engine().connect() as conn:
        row = conn.execute(sa.text('SELECT * FROM subclouds WHERE id = :id'),
                           {'id': subcloud_id}).one()
    return dict(row._mapping), api.get(BASE).json


# ------------------------------------------------------------------ the retry

def test_redeploy_as_the_cli_sends_it_runs_the_enrollment_again(api, ctx, caplog):
    caplog.set_level(logging.DEBUG)
    failed = _failed(api)
    first_error = failed['error-description']
    files = dict(_bootstrap_file(description='retried', location='Rack 9'),
                 install_values=('redeploy/install.yaml', yaml.safe_dump(
                     {'bootstrap_address': '127.0.3.7', 'bmc_password': 'not-stored'})))
    resp = _redeploy(api, 'sc1', _cli_fields(bmc_password=forms.b64(NEW_BMC_PASSWORD),
                                             release='24.09'), files)
    body = resp.json
    assert set(body) >= {'endpoint_sync_status', 'oam_floating_ip', 'deploy_config_sync_status'}
    assert body['id'] == failed['id']
    assert body['deploy-status'] in ('pre-enroll', 'pre-enroll-failed')
    assert body['description'] == 'retried' and body['location'] == 'Rack 9'
    assert body['software-version'] == '24.09'
    settled = forms.wait_settled(api, failed['id'])
    # the enrollment really ran again, at the new address: it fails there too, and says so
    assert settled['deploy-status'] == 'pre-enroll-failed'
    assert '127.0.3.7' in settled['error-description']
    assert '127.0.3.1' in first_error
    assert objects.Subcloud.get_secrets(ctx, failed['id']) == {
        'admin_password': NEW_ADMIN_PASSWORD, 'sysadmin_password': NEW_SYSADMIN_PASSWORD,
        'bmc_password': NEW_BMC_PASSWORD}
    saved = objects.Subcloud.get_by_id(ctx, failed['id']).saved_payload()
    assert saved['bootstrap-address'] == '127.0.3.7' and saved['description'] == 'retried'
    assert 'admin_password' not in saved
    # secrets: stored encrypted, never in an answer or a log line
    with db_api.get_engine().connect() as conn:
        raw = conn.execute(sa.text('SELECT secrets, rehome_data FROM subclouds')).one()
    texts = [resp.text, api.get(BASE).text, api.get(BASE + '/sc1/detail').text,
             raw.secrets, raw.rehome_data,
             '\n'.join(record.getMessage() for record in caplog.records)]
    for text in texts:
        for secret in (NEW_ADMIN_PASSWORD, NEW_SYSADMIN_PASSWORD, NEW_BMC_PASSWORD,
                       forms.b64(NEW_SYSADMIN_PASSWORD), forms.b64(NEW_BMC_PASSWORD)):
            assert secret not in text
    assert 'password' not in resp.text.lower()
    assert 'Redeploying subcloud' in texts[-1]


def test_a_plain_retry_needs_no_body_and_keeps_what_is_stored(api, ctx):
    failed = _failed(api)
    secrets = objects.Subcloud.get_secrets(ctx, failed['id'])
    body = api.patch('%s/%d/redeploy' % (BASE, failed['id']), headers=JSON).json
    assert body['deploy-status'] in ('pre-enroll', 'pre-enroll-failed')
    settled = forms.wait_settled(api, failed['id'])
    assert settled['deploy-status'] == 'pre-enroll-failed'
    assert objects.Subcloud.get_secrets(ctx, failed['id']) == secrets
    assert settled['description'] == failed['description']


def test_a_redeployed_subcloud_is_pre_enroll_and_owned_by_the_manager(api, site, hold_pool):
    failed = _failed(api)
    held_pool = hold_pool()
    body = _redeploy(api, 'sc1', _cli_fields()).json
    assert body['deploy-status'] == 'pre-enroll'
    assert body['error-description'] == 'No errors present'
    with db_api.get_engine().connect() as conn:
        owner = conn.execute(sa.text('SELECT deploy_owner FROM subclouds WHERE id = :id'),
                             {'id': failed['id']}).scalar_one()
    assert owner == site.manager.host
    held_pool.set()
    assert forms.wait_settled(api, failed['id'])['deploy-status'] == 'pre-enroll-failed'


def test_an_enroll_failed_subcloud_can_be_redeployed(api, ctx):
    failed = _failed(api)
    db_api.subcloud_update(ctx, failed['id'], {'deploy_status': states.DEPLOY_ENROLL_FAILED})
    _redeploy(api, 'sc1', _cli_fields())
    assert forms.wait_settled(api, failed['id'])['deploy-status'] == 'pre-enroll-failed'


def test_a_crash_after_the_redeploy_is_recovered_and_can_be_retried(api, site, ctx, hold_pool):
    failed = _failed(api)
    held_pool = hold_pool()
    _redeploy(api, 'sc1', _cli_fields())
    # the manager "restarts": its unfinished enrollment is failed by the recovery rule
    assert recovery.recover_at_start(ctx, site.manager.host) == 1
    recovered = api.get(BASE + '/sc1').json
    assert recovered['deploy-status'] == 'pre-enroll-failed'
    assert 'manager running the operation stopped' in recovered['error-description']
    assert 'redeploy' in recovered['error-description']
    held_pool.set()
    # the queued job finds the subcloud no longer pre-enroll and leaves it alone; a new
    # redeploy is accepted
    _redeploy(api, 'sc1', _cli_fields())
    assert forms.wait_settled(api, failed['id'])['deploy-status'] == 'pre-enroll-failed'


# ------------------------------------------------------------------ state rules

@pytest.mark.parametrize('state', ['complete', 'pre-enroll', 'enrolling', 'rehome-failed',
                                   'not-deployed', 'secondary'])
def test_only_a_failed_enrollment_can_be_redeployed(api, ctx, state):
    failed = _failed(api)
    db_api.subcloud_update(ctx, failed['id'], {'deploy_status': state})
    before = _stored(ctx, api, failed['id'])
    resp = _redeploy(api, 'sc1', _cli_fields(), _bootstrap_file(), status=409)
    message = resp.json['description']
    assert state in message
    if states.DEPLOY.is_transitory(state):
        assert 'busy' in message
    else:
        assert 'pre-enroll-failed or enroll-failed' in message
    assert _stored(ctx, api, failed['id']) == before


@contextlib.contextmanager
def _writes_held(subcloud_id):
    """The subcloud's row write-locked by another transaction meanwhile: writers wait for it,
    readers do not (SQLite: the database's write lock; PostgreSQL: the row's lock)."""
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text('UPDATE subclouds SET id = id WHERE id = :id'), {'id': subcloud_id})
        yield


def _race(api, subcloud_id, fields, count=2):
    """``count`` redeploys of sc1 at once, their writes held until all of them have had the time
    to read the subcloud (still failed) and pass the checks: only the compare-and-set of the
    write can tell them apart. Their (status, body)."""
    answers = []

    def redeploy():
        if fields is None:  # a plain retry: nothing but the deploy status is written
            resp = api.patch('%s/sc1/redeploy' % BASE, status='*', headers=JSON)
        else:
            resp = _redeploy(api, 'sc1', fields, status='*')
        answers.append((resp.status_int, resp.json))

    threads = [threading.Thread(target=redeploy) for _ in range(count)]
    with _writes_held(subcloud_id):
        for thread in threads:
            thread.start()
        time.sleep(1.0)
    for thread in threads:
        thread.join(30)
    return answers


def test_two_concurrent_redeploys_one_wins_the_other_is_409(api, ctx, hold_pool):
    failed = _failed(api)
    hold_pool()
    for fields in (None, _cli_fields(), None):
        answers = _race(api, failed['id'], fields)
        assert sorted(status for status, _ in answers) == [200, 409], answers
        refused = next(body for status, body in answers if status == 409)
        assert 'sc1' in refused['description']
        assert ('busy (pre-enroll)' in refused['description']
                or 'changed by another request' in refused['description'])
        # back to failed for the next round
        db_api.subcloud_update(ctx, failed['id'],
                               {'deploy_status': states.DEPLOY_PRE_ENROLL_FAILED})


def test_unknown_subcloud_is_404(api):
    resp = _redeploy(api, 'nope', _cli_fields(), status=404)
    assert resp.json['description'] == 'Subcloud not found'
    _redeploy(api, '999', _cli_fields(), status=404)


# ------------------------------------------------------------------ bad input

BAD_FORMS = [
    ({'sysadmin_password': 'not base64!'}, None,
     'Failed to decode subcloud sysadmin_password, verify the password is base64 encoded'),
    ({'bmc_password': '%%%'}, None,
     'Failed to decode subcloud bmc_password, verify the password is base64 encoded'),
    (_cli_fields(), {'bootstrap_values': ('b.yaml', 'name: [unclosed')},
     'bootstrap_values is not a valid YAML file (line 1, column 16)'),
    (_cli_fields(), {'bootstrap_values': ('b.yaml', '- a list')},
     'bootstrap_values must be a YAML mapping'),
    (_cli_fields(), _bootstrap_file(name='other'),
     "the name other of the bootstrap values is not the subcloud's name sc1"),
    (_cli_fields(), _bootstrap_file(admin_password=None), 'admin_password required'),
    (_cli_fields(), _bootstrap_file(management_start_address='nope'),
     'management_start_address invalid: not an IP address'),
    (_cli_fields(), {'deploy_config': ('deploy.yaml', 'a: 1')},
     'deploy_config is not supported: this site enrolls subclouds that are already deployed '
     'and does not run their deployment playbook'),
    (_cli_fields(), {'install_values': ('i.yaml', 'bootstrap_address: 127.0.3.9')},
     'bmc_password required'),
    (_cli_fields(**{'bootstrap-address': 'not-an-ip'}), None,
     'bootstrap-address invalid: not an IP address'),
    (_cli_fields(**{'bootstrap-address': '127.0.3.8', 'bmc_password': forms.b64('x')}),
     {'install_values': ('i.yaml', 'bootstrap_address: 127.0.3.9')},
     'bootstrap-address 127.0.3.8 and the bootstrap_address 127.0.3.9 of the install values '
     'differ'),
    (_cli_fields(release='latest'), None, 'Invalid release: <major>.<minor>, for example 24.09'),
    (_cli_fields(group_id='1'), None, 'Unexpected field: group_id'),
]


@pytest.mark.parametrize('fields, files, message', BAD_FORMS)
def test_bad_input_is_400_and_changes_nothing(api, ctx, fields, files, message):
    failed = _failed(api)
    before = _stored(ctx, api, failed['id'])
    resp = _redeploy(api, 'sc1', fields, files, status=400)
    assert resp.json['description'] == message
    assert _stored(ctx, api, failed['id']) == before


def test_an_address_another_subcloud_has_is_400_and_changes_nothing(api, ctx):
    _failed(api, 'sc1', 1)
    failed = _failed(api, 'sc2', 2)
    before = _stored(ctx, api, failed['id'])
    resp = _redeploy(api, 'sc2', _cli_fields(**{'bootstrap-address': '127.0.3.1'}), status=400)
    assert resp.json['description'] == 'bootstrap-address 127.0.3.1 is already used by subcloud sc1'
    assert _stored(ctx, api, failed['id']) == before


def test_a_json_body_works_too(api, ctx):
    failed = _failed(api)
    values = forms.bootstrap_values('sc1', 1, admin_password=NEW_ADMIN_PASSWORD)
    api.patch_json('%s/sc1/redeploy' % BASE, {'bootstrap_values': values,
                                              'bootstrap-address': '127.0.3.5'})
    settled = forms.wait_settled(api, failed['id'])
    assert '127.0.3.5' in settled['error-description']
    assert objects.Subcloud.get_secrets(ctx, failed['id'])['admin_password'] == \
        NEW_ADMIN_PASSWORD


# ------------------------------------------------------------------ routing

def test_other_methods_and_paths_change_nothing(api, ctx):
    failed = _failed(api)
    before = _stored(ctx, api, failed['id'])
    api.get(BASE + '/sc1/redeploy', status=405)
    for method in (api.post, api.put, api.delete):
        assert method(BASE + '/sc1/redeploy', status='*').status_int in (404, 405)
    _redeploy(api, 'sc1/more', _cli_fields(), status=404)
    _redeploy(api, 'sc1/redeploy/more', _cli_fields(), status=404)
    # the subcloud comes from the path only, never from the query string or the body
    for path in (BASE + '/redeploy', BASE + '/redeploy?ref=sc1'):
        assert api.patch(path, status='*').status_int in (400, 404)
    assert _redeploy(api, '', _cli_fields(ref='sc1'), status='*').status_int in (400, 404)
    assert _stored(ctx, api, failed['id']) == before


def test_redeploy_is_not_a_subcloud_name(api):
    form, files = forms.add_request('redeploy', 1)
    resp = forms.post_add(api, form, files, status=400, headers=JSON)
    assert resp.json['description'] == 'name invalid: redeploy is reserved'
