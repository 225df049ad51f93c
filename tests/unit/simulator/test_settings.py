"""Validation of the settings the control API may change, and the rehome request."""

import pytest

from dcmanager.simulator import rehome, settings


def test_defaults_are_valid_and_the_password_is_never_shown():
    values = settings.defaults(token_lifetime=2, rehome_seconds=0, admin_password='s3cret')
    assert values['token_lifetime'] == 2.0 and values['status'] is None
    assert settings.public(values)['admin_password'] == '<set>'
    assert values['admin_password'] == 's3cret'


@pytest.mark.parametrize('changes', [
    {'status': 'abc'}, {'status': 99}, {'status': True}, {'delay': -1}, {'delay': 'x'},
    {'delay': float('inf')}, {'availability': 'maybe'}, {'critical_alarms': -1},
    {'warnings': 1.5}, {'token_lifetime': 0}, {'rehome_seconds': -0.1}, {'admin_password': ''},
    {'colour': 'blue'}, [], 'status',
])
def test_bad_changes_are_refused(changes):
    with pytest.raises(ValueError):
        settings.validate(changes)


def test_good_changes_are_normalised():
    assert settings.validate({'status': None, 'delay': 1, 'major_alarms': 3}) == {
        'status': None, 'delay': 1.0, 'major_alarms': 3}


@pytest.mark.parametrize('body', [None, [], {}, {'system_controller': 'x'},
                                  {'system_controller': {}},
                                  {'system_controller': {'address': '127.0.0.9'},
                                   'bootstrap_address': 5}])
def test_bad_rehome_requests_are_refused(body):
    with pytest.raises(ValueError):
        rehome.parse_request(body)


def test_a_rehome_request_without_bootstrap_address_is_accepted_to_fail_later():
    parsed = rehome.parse_request({'system_controller': {'address': '127.0.0.9'}})
    assert parsed['bootstrap_address'] is None
