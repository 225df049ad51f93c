"""The availability rule (dcmanager.audit.availability): every transition, the cap, no flapping."""

import pytest

from dcmanager.audit import availability
from dcmanager.common import states

ONLINE, OFFLINE = states.ONLINE, states.OFFLINE
TO_OFFLINE = states.AVAIL_FAIL_COUNT_TO_OFFLINE
ALARMS = {'critical_alarms': 1, 'major_alarms': 2, 'minor_alarms': 3, 'warnings': 4,
          'cloud_status': 'critical'}
CLEARED = {'critical_alarms': -1, 'major_alarms': -1, 'minor_alarms': -1, 'warnings': -1,
           'cloud_status': 'disabled'}
OK = availability.Outcome(success=True, alarms=ALARMS)
LOST = availability.failed('connection refused')


def _answer(avail='online', **alarm_audit):
    report = dict(ALARMS, **alarm_audit)
    return {'base_audit': {'availability': avail, 'inactive_sg': []}, 'alarm_audit': report}


def _run(outcomes, availability_status=OFFLINE, fail_count=0):
    """Feed outcomes one after the other, as successive audits would; the decisions."""
    decisions = []
    for outcome in outcomes:
        decision = availability.decide(availability_status, fail_count, outcome)
        decisions.append(decision)
        availability_status, fail_count = decision.availability, decision.fail_count
    return decisions


# ------------------------------------------------------------------ reading the agent's answer

def test_online_answer_is_a_success_with_its_alarms():
    outcome = availability.from_answer(_answer())
    assert outcome.success
    assert outcome.alarms == ALARMS


@pytest.mark.parametrize('answer', [
    _answer('offline'),
    {'base_audit': {}},
    {'base_audit': {'availability': None}},
    {'base_audit': 'online'},
    {'alarm_audit': ALARMS},
    {},
    [],
    None,
    'online',
], ids=repr)
def test_anything_but_an_online_answer_is_a_failure(answer):
    # The reference counted an answer without availability as a success (spec 7 #34).
    outcome = availability.from_answer(answer)
    assert not outcome.success
    assert outcome.reason


@pytest.mark.parametrize('report', [
    None,
    'critical',
    dict(ALARMS, critical_alarms='1'),
    dict(ALARMS, major_alarms=-1),
    dict(ALARMS, warnings=True),
    dict(ALARMS, minor_alarms=1.5),
    {k: v for k, v in ALARMS.items() if k != 'warnings'},
    dict(ALARMS, cloud_status=''),
    dict(ALARMS, cloud_status=3),
    dict(ALARMS, cloud_status='x' * 65),
], ids=repr)
def test_malformed_alarm_report_is_ignored_but_the_subcloud_is_online(report):
    answer = {'base_audit': {'availability': 'online'}, 'alarm_audit': report}
    outcome = availability.from_answer(answer)
    assert outcome.success
    assert outcome.alarms is None


# ------------------------------------------------------------------ transitions

def test_offline_goes_online_after_one_success_and_stores_alarms():
    decision = availability.decide(OFFLINE, 5, OK)
    assert decision == availability.Decision(availability=ONLINE, fail_count=0, changed=True,
                                             endpoints_unknown=False, alarms=ALARMS)


def test_online_stays_online_on_success_and_refreshes_alarms():
    decision = availability.decide(ONLINE, 0, OK)
    assert (decision.availability, decision.fail_count, decision.changed) == (ONLINE, 0, False)
    assert decision.alarms == ALARMS
    assert not decision.endpoints_unknown


def test_success_resets_a_partial_fail_count():
    decision = availability.decide(ONLINE, TO_OFFLINE - 1, OK)
    assert (decision.availability, decision.fail_count, decision.changed) == (ONLINE, 0, False)


def test_one_failure_keeps_an_online_subcloud_online_and_its_alarms():
    decision = availability.decide(ONLINE, 0, LOST)
    assert (decision.availability, decision.fail_count, decision.changed) == (ONLINE, 1, False)
    assert decision.alarms is None  # the summary is left as it is
    assert not decision.endpoints_unknown


def test_second_failure_in_a_row_takes_it_offline_and_clears_everything():
    decision = availability.decide(ONLINE, TO_OFFLINE - 1, LOST)
    assert decision.availability == OFFLINE
    assert decision.fail_count == TO_OFFLINE
    assert decision.changed
    assert decision.endpoints_unknown
    assert decision.alarms == CLEARED


def test_the_agent_reporting_offline_counts_like_a_lost_answer():
    outcome = availability.from_answer(_answer('offline'))
    decisions = _run([outcome, outcome], availability_status=ONLINE)
    assert [d.availability for d in decisions] == [ONLINE, OFFLINE]


def test_offline_stays_offline_on_failure_and_counts():
    decision = availability.decide(OFFLINE, 3, LOST)
    assert (decision.availability, decision.fail_count, decision.changed) == (OFFLINE, 4, False)
    assert decision.alarms is None
    assert not decision.endpoints_unknown  # already done when it went offline


def test_a_new_subcloud_offline_with_count_0_goes_online_on_first_success():
    decision = availability.decide(OFFLINE, 0, OK)
    assert decision.availability == ONLINE and decision.changed


def test_a_new_subcloud_that_does_not_answer_stays_offline_without_a_change():
    decision = availability.decide(OFFLINE, 0, LOST)
    assert (decision.availability, decision.fail_count, decision.changed) == (OFFLINE, 1, False)


def test_fail_count_is_capped():
    cap = states.AVAIL_FAIL_COUNT_MAX
    assert availability.decide(OFFLINE, cap, LOST).fail_count == cap
    assert availability.decide(OFFLINE, cap - 1, LOST).fail_count == cap
    assert availability.decide(OFFLINE, cap, OK).fail_count == 0


def test_unmanaged_subcloud_alarms_are_not_stored():
    decision = availability.decide(OFFLINE, 0, OK, store_alarms=False)
    assert decision.availability == ONLINE
    assert decision.alarms is None


def test_going_offline_clears_alarms_even_when_unmanaged():
    decision = availability.decide(ONLINE, 1, LOST, store_alarms=False)
    assert decision.alarms == CLEARED


# ------------------------------------------------------------------ sequences

def test_alternating_lost_answers_never_take_it_offline():
    decisions = _run([LOST, OK] * 10, availability_status=ONLINE)
    assert {d.availability for d in decisions} == {ONLINE}
    assert not any(d.changed for d in decisions)


def test_exactly_the_threshold_of_failures_in_a_row_is_needed():
    decisions = _run([LOST] * TO_OFFLINE, availability_status=ONLINE)
    assert [d.availability for d in decisions] == [ONLINE] * (TO_OFFLINE - 1) + [OFFLINE]
    assert [d.changed for d in decisions] == [False] * (TO_OFFLINE - 1) + [True]


def test_outage_and_recovery_change_state_once_each():
    decisions = _run([OK, OK, LOST, LOST, LOST, LOST, OK, OK])
    changes = [(i, d.availability) for i, d in enumerate(decisions) if d.changed]
    assert changes == [(0, ONLINE), (3, OFFLINE), (6, ONLINE)]
    assert [d.fail_count for d in decisions] == [0, 0, 1, 2, 3, 4, 0, 0]
    # endpoints and alarms are cleared once, when it goes offline
    assert [i for i, d in enumerate(decisions) if d.endpoints_unknown] == [3]
