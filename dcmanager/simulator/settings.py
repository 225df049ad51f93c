"""The settings of a simulated subcloud that the control API may change, and their validation.

One table so that the control API, the state file and the documentation agree on names, types and
defaults. Validation is all-or-nothing: a PATCH with one bad value changes nothing.
"""

import math

ALARMS = ('critical_alarms', 'major_alarms', 'minor_alarms', 'warnings')


def _status(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise ValueError('status must be an HTTP status code (100-599) or null')
    return value


def _seconds(value, name, minimum=0.0, strict=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError('%s must be a number of seconds' % name)
    if value < minimum or (strict and value == minimum):
        raise ValueError('%s must be %s %s' % (name, '>' if strict else '>=', minimum))
    return float(value)


def _count(name):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError('%s must be a non-negative integer' % name)
        return value
    return check


def _availability(value):
    if value not in ('online', 'offline'):
        raise ValueError('availability must be "online" or "offline"')
    return value


def _password(value):
    if not isinstance(value, str) or not value:
        raise ValueError('admin_password must be a non-empty string')
    return value


VALIDATORS = {
    'status': _status,
    'delay': lambda v: _seconds(v, 'delay'),
    'availability': _availability,
    'token_lifetime': lambda v: _seconds(v, 'token_lifetime', strict=True),
    'rehome_seconds': lambda v: _seconds(v, 'rehome_seconds'),
    'admin_password': _password,
    **{name: _count(name) for name in ALARMS},
}


def defaults(token_lifetime=3600.0, rehome_seconds=2.0, admin_password='password'):
    """The settings of a fresh subcloud."""
    values = {'status': None, 'delay': 0.0, 'availability': 'online',
              'token_lifetime': float(token_lifetime), 'rehome_seconds': float(rehome_seconds),
              'admin_password': admin_password}
    values.update(dict.fromkeys(ALARMS, 0))
    return validate(values)


def validate(changes):
    """Return the validated ``changes`` (a dict); raise ValueError naming the first bad one."""
    if not isinstance(changes, dict):
        raise ValueError('expected a JSON object')
    unknown = sorted(set(changes) - set(VALIDATORS))
    if unknown:
        raise ValueError('unknown setting(s): %s' % ', '.join(unknown))
    return {name: VALIDATORS[name](value) for name, value in changes.items()}


def public(values):
    """The settings as the control API shows them: the password is never echoed."""
    shown = dict(values)
    shown['admin_password'] = '<set>'
    return shown
