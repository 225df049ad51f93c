"""The policy enforcer of the API (oslo.policy; rules in ``dcmanager.policies``)."""

from oslo_policy import policy

from dcmanager import policies
from dcmanager.common import exception
from dcmanager.conf import CONF

_ENFORCER = None


def get_enforcer():
    """The process's enforcer: defaults from code, overrides from ``[oslo_policy] policy_file``.

    Also the ``oslo.policy.enforcer`` entry point used by oslopolicy-policy-generator.
    """
    global _ENFORCER
    if _ENFORCER is None:
        _ENFORCER = policy.Enforcer(CONF)
        _ENFORCER.register_defaults(policies.list_rules())
        _ENFORCER.load_rules()
    return _ENFORCER


def reset():
    """Forget the enforcer (tests that change the policy file)."""
    global _ENFORCER
    if _ENFORCER is not None:
        _ENFORCER.clear()
    _ENFORCER = None


def authorize(rule, context, target=None):
    """Raise Forbidden unless ``context`` may do ``rule``."""
    enforcer = get_enforcer()
    try:
        enforcer.authorize(rule, target or {}, context.to_policy_values(), do_raise=True)
    except policy.PolicyNotAuthorized:
        raise exception.Forbidden(action=rule) from None
