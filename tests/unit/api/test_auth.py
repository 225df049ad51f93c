"""The bounds on requests waiting for Keystone (dcmanager.api.auth) and the Keystone timeouts'
defaults. The whole behaviour against a hung Keystone socket is in
tests/integration/test_keystone_hung.py."""

import threading

from keystoneauth1 import exceptions as ksa_exceptions
import pytest

from dcmanager.api import auth
from dcmanager.conf import CONF


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_keystonemiddleware_waits_a_bounded_time_by_default():
    assert CONF.keystone_authtoken.http_connect_timeout == 5
    assert CONF.keystone_authtoken.http_request_max_retries == 1


@pytest.mark.parametrize('threads, slots', [(1, 1), (2, 1), (8, 7)])
def test_one_request_thread_is_kept_out_of_keystones_hands(threads, slots):
    assert auth.default_slots(threads) == slots


def test_a_request_beyond_the_slots_is_refused_without_waiting():
    gate = auth._Gate(2)
    inside, release = threading.Barrier(3), threading.Event()

    def wait_for_keystone():
        inside.wait()
        release.wait(10)
        return 'validated'

    threads = [threading.Thread(target=gate.call, args=(wait_for_keystone,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait(10)  # both slots are taken
    with pytest.raises(auth._NoSlot):
        gate.call(lambda: 'never called')
    release.set()
    for thread in threads:
        thread.join(10)
    assert gate.call(lambda: 'validated') == 'validated'  # the slots were given back


@pytest.mark.parametrize('failure', [ksa_exceptions.ConnectTimeout('timed out'),
                                     ksa_exceptions.ConnectFailure('refused'),
                                     ksa_exceptions.DiscoveryFailure('no answer')])
def test_keystone_is_not_asked_again_for_a_while_after_it_failed(failure):
    clock = _Clock()
    gate = auth._Gate(3, clock=clock)
    calls = []

    def fail():
        calls.append(1)
        raise failure

    with pytest.raises(type(failure)):
        gate.call(fail)
    clock.now += auth.RETRY_AFTER - 0.1
    with pytest.raises(auth._RecentlyFailed):
        gate.call(fail)
    assert len(calls) == 1
    clock.now += 0.2
    assert gate.call(lambda: 'validated') == 'validated'


def test_an_invalid_token_does_not_close_the_gate():
    clock = _Clock()
    gate = auth._Gate(3, clock=clock)

    def rejected():
        raise ksa_exceptions.NotFound()

    with pytest.raises(ksa_exceptions.NotFound):
        gate.call(rejected)
    assert gate.call(lambda: 'validated') == 'validated'


def test_the_plugin_fetch_is_refused_while_the_gate_is_closed():
    clock = _Clock()
    gate = auth._Gate(3, clock=clock)
    fetches = []

    def get_auth_ref(session):
        fetches.append(session)
        raise ksa_exceptions.ConnectTimeout('timed out')

    fetch = auth._checked_first(gate, get_auth_ref)
    with pytest.raises(ksa_exceptions.ConnectTimeout):
        fetch('session')
    with pytest.raises(auth._RecentlyFailed):  # one queued behind the failed fetch
        fetch('session')
    assert fetches == ['session']


def test_the_refusals_are_logged_as_one_summary_per_period(caplog):
    clock = _Clock()
    log = auth._RefusalLog(every=10, clock=clock)
    with caplog.at_level('WARNING', logger='dcmanager.api.auth'):
        log.refused('refused: busy')
        for _ in range(500):
            clock.now += 0.01
            log.refused('refused: busy')
        log.refused('failed to validate')
        assert len(caplog.records) == 1  # the first one, at once
        clock.now += 10
        log.refused('refused: busy')
    assert [r.getMessage() for r in caplog.records] == [
        'Keystone unavailable: 503 to a request (1 refused: busy)',
        'Keystone unavailable: 503 to requests in the last 15 s: 1 failed to validate, '
        '501 refused: busy']
