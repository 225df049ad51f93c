"""``dcmanager subcloud ...`` against a running noauth ``dcmanager-all`` and the simulator: a
simulated subcloud added from a bootstrap-values YAML file (multipart) with ``--wait`` until it
is complete and online, listed and shown in the contract's columns with the server's values,
updated, put in a group, managed, its alarms summarised, unmanaged and deleted (with the
confirmation prompt); an add that fails ends ``--wait`` with its FAILED line; client-side
validation fails before any request.

The tests of this module run in order on one subcloud (``cli-sc1``).
"""

import json
import os
import re

import pytest
import yaml

from tests import subcloud_forms as forms
from tests.integration.cli import columns, harness
from tests.integration.cli.conftest import consistent, wait_for

NAME = 'cli-sc1'
BAD = 'cli-bad'
WRONG_ADDRESS = '127.0.1.250'  # nothing listens there
PROGRESS = re.compile(r'^add (?P<name>[\w-]+): (?P<deploy>[\w-]+), (?P<avail>[\w-]+), '
                      r'\d+(\.\d+)? s elapsed$')
CONFIRM = 'Type "yes" to continue: '
CANCELLED = 'ERROR (app) Cancelled: nothing was changed'


def _bootstrap_file(cli, name, n):
    """The bootstrap values of subcloud ``name`` in ``obs/bootstrap-<name>.yaml`` under the
    CLI's working directory; the path as typed."""
    path = os.path.join('obs', 'bootstrap-%s.yaml' % name)
    os.makedirs(os.path.join(cli.home, 'obs'), exist_ok=True)
    with open(os.path.join(cli.home, path), 'w') as f:
        yaml.safe_dump(forms.bootstrap_values(name, n, description='Edge %s' % name,
                                              location='Row %d' % n), f)
    return path


def _add(cli, name, n, address, *more):
    return cli('subcloud', 'add', '--bootstrap-address', address, '--bootstrap-values',
               _bootstrap_file(cli, name, n), '--sysadmin-password', forms.SYSADMIN_PASSWORD,
               *more)


@pytest.fixture(scope='module')
def site(noauth_site):
    return noauth_site


@pytest.fixture(scope='module')
def added(site):
    return _add(site.cli, NAME, 1, site.addresses[0], '--wait', '--poll-interval', '0.5',
                '--wait-timeout', '120')


def test_add_waits_until_complete_and_online(site, added):
    assert added.code == 0, added
    assert not harness.CONTROL.search(added.err), repr(added.err)
    progress = added.err.splitlines()
    assert progress, added
    for line in progress:
        match = PROGRESS.match(line)
        assert match and match.group('name') == NAME, line
    assert PROGRESS.match(progress[-1]).group('deploy', 'avail') == ('complete', 'online'), \
        added.err
    # stdout: the add's answer, the detail columns without region_name
    answer = harness.show_table(added.out)
    assert list(answer)[:21] == list(columns.SUBCLOUD_DETAIL21), list(answer)
    assert 'region_name' not in answer and answer['name'] == NAME
    body = site.get('subclouds/%s' % NAME)
    assert (body['deploy-status'], body['availability-status']) == ('complete', 'online')
    # the YAML file's values arrived (a multipart file part)
    assert (body['description'], body['location']) == ('Edge %s' % NAME, 'Row 1')
    assert body['management-subnet'] == '127.20.1.0/24'


def test_list_shows_the_basic_columns(site, added):
    body, got = consistent(lambda: site.get('subclouds/%s' % NAME),
                           lambda: site.cli('subcloud', 'list').ok())
    header, _ = harness.table(got.out)
    assert header == list(columns.SUBCLOUD_BASIC)
    row, = [r for r in harness.table_dicts(got.out) if r['name'] == NAME]
    expected = {name: str(body.get(key, 'unknown' if key == 'sync_status' else None))
                for name, key in columns.SUBCLOUD_BASIC.items()}
    assert row == expected


def test_list_detail_and_any_column_choice_use_the_detail_columns(site, added):
    header, _ = harness.table(site.cli('subcloud', 'list', '--detail').ok().out)
    assert header == columns.subcloud_list_detail()
    body, got = consistent(lambda: site.get('subclouds/%s' % NAME), lambda: site.cli(
        'subcloud', 'list', '-c', 'name', '-c', 'software_version', '-c', 'sync', '-f',
        'json').json())
    assert {'name': NAME, 'software_version': body['software-version'],
            'sync': body.get('sync_status', 'unknown')} in got
    assert all(list(row) == ['name', 'software_version', 'sync'] for row in got)


def test_show_has_the_detail_columns_and_the_servers_values(site, added):
    body, got = consistent(lambda: site.get('subclouds/%s' % NAME),
                           lambda: site.cli('subcloud', 'show', NAME, '-f', 'json').json())
    expected = columns.subcloud_show(body)
    assert list(got) == list(expected)
    assert got == expected
    by_id = site.cli('subcloud', 'show', str(body['id']), '-f', 'json').json()
    assert by_id['name'] == NAME


def test_show_detail(site, added):
    body, got = consistent(lambda: site.get('subclouds/%s/detail' % NAME), lambda: site.cli(
        'subcloud', 'show', NAME, '--detail', '-f', 'json').json())
    expected = columns.subcloud_show(body)
    assert list(got) == list(expected) and got == expected


def test_errors_prints_the_error_description(site, added):
    body = site.get('subclouds/%s' % NAME)
    got = site.cli('subcloud', 'errors', NAME).ok()
    assert got.out.strip() == (body.get('error-description') or 'No errors present')


def test_update_sends_only_what_is_given(site, added):
    before = site.get('subclouds/%s' % NAME)
    got = site.cli('subcloud', 'update', NAME, '--description', 'Edge "north" rack',
                   '--location', 'Row 9').ok()
    shown = harness.show_table(got.out)
    assert (shown['description'], shown['location']) == ('Edge "north" rack', 'Row 9')
    assert 'region_name' not in shown
    after = site.get('subclouds/%s' % NAME)
    assert (after['description'], after['location']) == ('Edge "north" rack', 'Row 9')
    assert after['management-subnet'] == before['management-subnet']


# what an update may change (the audit moves the statuses and updated-at meanwhile)
SETTABLE = ('name', 'description', 'location', 'group_id', 'peer_group_id',
            'management-subnet', 'management-start-ip', 'management-end-ip',
            'management-gateway-ip', 'management-state')


def _settable(site):
    body = site.get('subclouds/%s' % NAME)
    return {key: body[key] for key in SETTABLE}


def test_update_with_nothing_to_update_sends_nothing(site, added):
    before = _settable(site)
    assert site.cli('subcloud', 'update', NAME).error() == 'Nothing to update'
    assert _settable(site) == before


def test_update_with_part_of_the_network_arguments_is_refused(site, added):
    before = _settable(site)
    message = site.cli('subcloud', 'update', NAME, '--management-subnet',
                       '127.20.9.0/24').error()
    assert '--management-subnet' in message and '--bootstrap-address' in message, message
    assert _settable(site) == before


def test_update_group_and_the_groups_list_of_subclouds(site, added):
    group = site.cli('subcloud-group', 'add', '--name', 'cli-edge', '-f', 'json').json()
    got = site.cli('subcloud', 'update', NAME, '--group', 'cli-edge', '-f', 'json').json()
    assert got['group_id'] == group['id']
    listed = site.cli('subcloud-group', 'list-subclouds', 'cli-edge').ok()
    header, _ = harness.table(listed.out)
    assert header == list(columns.SUBCLOUD_DETAIL21)
    rows = harness.table_dicts(listed.out)
    assert [r['name'] for r in rows] == [NAME]
    body = site.get('subclouds/%s' % NAME)
    assert rows[0]['group_id'] == str(group['id']) == str(body['group_id'])


def test_manage(site, added):
    got = site.cli('subcloud', 'manage', NAME, '-f', 'json').json()
    assert got['management'] == 'managed'
    assert site.get('subclouds/%s' % NAME)['management-state'] == 'managed'


def test_alarm_summary(site, added, cli_sim):
    cli_sim.patch(site.addresses[0], critical_alarms=2, major_alarms=1, minor_alarms=0,
                  warnings=3)
    row = wait_for('the alarms audited', lambda: next(
        (r for r in site.get('alarms')['alarm_summary']
         if r['critical_alarms'] == 2 and r['warnings'] == 3), None))
    assert row['region_name']
    summary, got = consistent(lambda: site.get('alarms'),
                              lambda: site.cli('alarm', 'summary').ok())
    header, _ = harness.table(got.out)
    assert header == list(columns.ALARMS)
    assert harness.table_dicts(got.out) == [
        {name: str(r[key]) for name, key in columns.ALARMS.items()}
        for r in summary['alarm_summary']]
    summary, as_json = consistent(lambda: site.get('alarms'), lambda: site.cli(
        'alarm', 'summary', '-f', 'json').json())
    assert as_json == [{name: r[key] for name, key in columns.ALARMS.items()}
                       for r in summary['alarm_summary']]


def test_unmanage_asks_when_confirmations_are_enabled(site, added):
    asked = site.cli('subcloud', 'unmanage', NAME, stdin='no\n',
                     env={'CLI_CONFIRMATIONS': 'enabled'})
    assert asked.code == 1 and asked.out == '', asked
    assert asked.err.startswith('Unmanage subcloud %s? %s' % (NAME, CONFIRM)), asked
    assert asked.err.rstrip('\n').endswith(CANCELLED), asked
    assert asked.err.count('ERROR') == 1, asked
    assert site.get('subclouds/%s' % NAME)['management-state'] == 'managed'
    yes = site.cli('subcloud', 'unmanage', NAME, '-f', 'json', stdin='y\n',
                   env={'CLI_CONFIRMATIONS': 'enabled'})
    assert yes.code == 0, yes
    assert json.loads(yes.out)['management'] == 'unmanaged'
    assert site.get('subclouds/%s' % NAME)['management-state'] == 'unmanaged'


def test_delete_asks_and_is_cancelled_at_end_of_file(site, added):
    asked = site.cli('subcloud', 'delete', NAME, stdin='',
                     env={'CLI_CONFIRMATIONS': 'enabled'})
    assert asked.code == 1 and asked.out == '', asked
    assert asked.err.startswith('Delete subcloud %s? This cannot be undone. %s'
                                % (NAME, CONFIRM)), asked
    assert asked.err.rstrip('\n').endswith(CANCELLED), asked
    site.get('subclouds/%s' % NAME)


def test_delete_with_yes_does_not_ask(site, added):
    got = site.cli('subcloud', 'delete', NAME, '--yes', env={'CLI_CONFIRMATIONS': 'enabled'})
    assert (got.code, got.out, got.err) == (0, '', ''), got
    missing = site.api('GET', 'subclouds/%s' % NAME, expect=404).json()['description']
    assert site.cli('subcloud', 'show', NAME).error() == missing


def test_add_that_fails_ends_the_wait_with_its_failed_line(site):
    got = _add(site.cli, BAD, 2, WRONG_ADDRESS, '--wait', '--poll-interval', '0.5',
               '--wait-timeout', '120')
    body = site.get('subclouds/%s' % BAD)
    try:
        assert got.code == 1, got
        assert body['deploy-status'].endswith('-failed'), body
        assert harness.show_table(got.out)['name'] == BAD
        assert not harness.CONTROL.search(got.err), repr(got.err)
        *progress, last = got.err.splitlines()
        assert all(PROGRESS.match(line) for line in progress), got.err
        assert last == 'FAILED %s: %s: %s' % (BAD, body['deploy-status'],
                                             body['error-description']), got.err
        errors = site.cli('subcloud', 'errors', BAD).ok()
        assert errors.out.strip() == body['error-description'].strip()
    finally:
        site.cli('subcloud', 'delete', BAD, '--yes').ok()


def _names(site):
    return sorted(s['name'] for s in site.get('subclouds')['subclouds'])


def test_add_with_a_missing_file_sends_nothing(site):
    before = _names(site)
    site.cli('subcloud', 'add', '--bootstrap-address', site.addresses[1], '--bootstrap-values',
             'obs/no-such-file.yaml', '--sysadmin-password', forms.SYSADMIN_PASSWORD).error()
    assert _names(site) == before


def test_add_name_without_migrate_is_refused(site):
    before = _names(site)
    path = _bootstrap_file(site.cli, 'cli-sc2', 3)
    site.cli('subcloud', 'add', '--bootstrap-address', site.addresses[1], '--bootstrap-values',
             path, '--sysadmin-password', forms.SYSADMIN_PASSWORD, '--name', 'other').error()
    assert _names(site) == before


def test_add_without_a_terminal_needs_the_sysadmin_password(site):
    before = _names(site)
    path = _bootstrap_file(site.cli, 'cli-sc2', 3)
    got = site.cli('subcloud', 'add', '--bootstrap-address', site.addresses[1],
                   '--bootstrap-values', path, stdin=forms.SYSADMIN_PASSWORD + '\n')
    assert got.error() == '--sysadmin-password is required'
    assert _names(site) == before


@pytest.mark.parametrize('argv', [
    ['subcloud', 'show', 'no-such-subcloud'],
    ['subcloud', 'errors', 'no-such-subcloud'],
    ['subcloud', 'manage', 'no-such-subcloud'],
    ['subcloud', 'update', 'no-such-subcloud', '--description', 'x'],
    ['subcloud', 'delete', 'no-such-subcloud', '--yes'],
])
def test_an_unknown_subcloud_prints_the_servers_message(site, argv):
    missing = site.api('GET', 'subclouds/no-such-subcloud', expect=404).json()['description']
    assert site.cli(*argv).error() == missing
