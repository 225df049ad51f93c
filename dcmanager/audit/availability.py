"""The availability rule: how one audit's outcome moves a subcloud between online and offline.

Pure functions over values, no I/O, so that every transition is tested in isolation.

The rule
========

An audit **succeeds** when the subcloud's audit agent answers and reports
``base_audit.availability = online`` (the agent's own test: every service group active on a
controller). Everything else **fails**: identity service or agent unreachable, an authentication
error, a timeout, an HTTP error, an answer that is not the agent's shape (no availability in it),
or the agent reporting ``offline``.

* Success: the fail count goes back to 0 and the subcloud is ``online`` -- an offline subcloud
  comes back at once. The alarm counts and ``cloud_status`` it reported become its alarm summary
  (managed subclouds only, as in the reference: an unmanaged one is not asked for its alarms).
* Failure: the fail count goes up by one, capped at ``AVAIL_FAIL_COUNT_MAX``.

  - An ``online`` subcloud stays online, alarm summary untouched, while the count is below
    ``AVAIL_FAIL_COUNT_TO_OFFLINE`` (2): one lost packet or one slow answer is not an outage.
  - When the count reaches it, the subcloud goes ``offline``: every endpoint status and the
    aggregate sync status become ``unknown`` (nothing is known of an unreachable subcloud) and the
    alarm summary is cleared to the reference's "not known" values (-1 counts, ``cloud_status``
    ``disabled``), what the reference writes when a subcloud goes offline.
  - An ``offline`` subcloud stays offline.

The hysteresis sits on the way down, where a single lost packet is the usual false signal; on
the way up one success is proof enough (the agent answered, with a valid token, that everything
is active), and keeping a healthy subcloud offline would only delay operations that need it
online. A success always resets the count, so isolated failures never add up to an outage: only
``AVAIL_FAIL_COUNT_TO_OFFLINE`` failures in a row take a subcloud offline.

Difference from the reference implementation: an answer without an availability,
or one that cannot be read, counts as a failure (the reference counted it as a success).
"""

import dataclasses

from dcmanager.common import states
from dcmanager.objects import alarm_summary

_COUNTS = ('critical_alarms', 'major_alarms', 'minor_alarms', 'warnings')
_CLOUD_STATUS_MAX = 64  # column size


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one audit of a subcloud found: did it succeed, its alarms, why it failed."""

    success: bool
    alarms: dict | None = None
    reason: str | None = None


def failed(reason):
    """The outcome of an audit that got no usable answer (``reason`` is for the log)."""
    return Outcome(success=False, reason=reason)


def from_answer(answer):
    """The outcome of the agent's answer to ``PATCH /v1/dcaudit``."""
    base = answer.get('base_audit') if isinstance(answer, dict) else None
    availability = base.get('availability') if isinstance(base, dict) else None
    if availability != states.ONLINE:
        if availability == states.OFFLINE:
            return failed('the audit agent reports the subcloud offline')
        return failed('the audit agent gave no availability')
    return Outcome(success=True, alarms=_alarms(answer.get('alarm_audit')))


def _alarms(report):
    """The alarm summary in an ``alarm_audit`` report, or None if absent or malformed."""
    if not isinstance(report, dict):
        return None
    counts = {name: report.get(name) for name in _COUNTS}
    if not all(type(value) is int and value >= 0 for value in counts.values()):
        return None
    cloud_status = report.get('cloud_status')
    if not isinstance(cloud_status, str) or not 0 < len(cloud_status) <= _CLOUD_STATUS_MAX:
        return None
    return dict(counts, cloud_status=cloud_status)


@dataclasses.dataclass(frozen=True)
class Decision:
    """What to store after an audit."""

    availability: str
    fail_count: int
    changed: bool                   # availability differs from before
    endpoints_unknown: bool = False  # set every endpoint status (and the aggregate) to unknown
    alarms: dict | None = None      # the alarm summary to store; None: leave it as it is


def decide(availability, fail_count, outcome, store_alarms=True):
    """Apply the rule to a subcloud that was ``availability`` with ``fail_count`` failures.

    ``store_alarms``: keep the alarms a successful audit reported (the subcloud is managed).
    """
    if outcome.success:
        return Decision(availability=states.ONLINE, fail_count=0,
                        changed=availability != states.ONLINE,
                        alarms=outcome.alarms if store_alarms else None)
    count = min(fail_count + 1, states.AVAIL_FAIL_COUNT_MAX)
    if availability == states.ONLINE and count < states.AVAIL_FAIL_COUNT_TO_OFFLINE:
        return Decision(availability=states.ONLINE, fail_count=count, changed=False)
    if availability == states.ONLINE:
        return Decision(availability=states.OFFLINE, fail_count=count, changed=True,
                        endpoints_unknown=True, alarms=dict(alarm_summary.CLEARED))
    return Decision(availability=states.OFFLINE, fail_count=count, changed=False)
