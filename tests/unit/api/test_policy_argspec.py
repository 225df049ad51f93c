"""The cached argument specs oslo.policy's checks are evaluated with."""

import inspect

from oslo_policy import _checks

from dcmanager.api import policy_argspec


class _NewStyle(_checks.BaseCheck):
    def __str__(self):
        return 'new'

    def __call__(self, target, cred, enforcer, current_rule=None):
        return current_rule == 'wanted'


class _Legacy(_checks.BaseCheck):
    def __str__(self):
        return 'legacy'

    def __call__(self, target, cred, enforcer):
        return True


def test_the_spec_is_inspect_s_for_functions_and_bound_methods():
    for func in (_NewStyle().__call__, _Legacy().__call__, _NewStyle.__call__):
        assert policy_argspec.getfullargspec(func) == inspect.getfullargspec(func)


def test_installed_checks_still_get_the_rule_name_or_not():
    policy_argspec.install()
    assert _checks.inspect.getfullargspec is policy_argspec.getfullargspec
    assert _checks._check(_NewStyle(), {}, {}, None, 'wanted') is True
    assert _checks._check(_NewStyle(), {}, {}, None, 'other') is False
    assert _checks._check(_Legacy(), {}, {}, None, 'other') is True
    policy_argspec.install()
    assert _checks.inspect.getfullargspec is policy_argspec.getfullargspec
