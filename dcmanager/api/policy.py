"""The policy enforcer of the API (oslo.policy; rules in ``dcmanager.policies``)."""

from oslo_policy import policy

from dcmanager import policies
from dcmanager.api import policy_argspec
from dcmanager.common import exception
from dcmanager.conf import CONF

_ENFORCER = None


def get_enforcer():
    """The process's enforcer: defaults from code, overrides from ``[oslo_policy] policy_file``.

    The ``peer`` rule's default names ``[peer] role``. Also the ``oslo.policy.enforcer`` entry
    point used by oslopolicy-policy-generator.
    """
    global _ENFORCER
    if _ENFORCER is None:
        policy_argspec.install()
        _ENFORCER = policy.Enforcer(CONF)
        _ENFORCER.register_defaults(policies.list_rules(peer_role=CONF.peer.role))
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


def allowed(rule, context, target=None):
    """Whether ``context`` may do ``rule`` (True/False, nothing raised)."""
    return get_enforcer().authorize(rule, target or {}, context.to_policy_values(),
                                    do_raise=False)


def authorize_any(context, *rules):
    """Raise Forbidden (naming the first rule) unless ``context`` may do one of ``rules``: the
    check made before a target is looked up, so that a caller who may do nothing learns
    nothing of what exists."""
    if not any(allowed(rule, context) for rule in rules):
        authorize(rules[0], context)


def as_peer(context, peer_side, operator_rules, peer_rule, not_for_peer):
    """Authorize a write; True when it is the peer site writing the copy it keeps here.

    ``peer_side``: the target is such a copy (a secondary subcloud, a non-primary peer group or
    association). Then the peer's ``peer_rule`` decides; anyone else needs every one of
    ``operator_rules`` and gets False (the manager then refuses the copy with the reason).
    A target of this site's own that the peer alone may not write gets ``not_for_peer`` (an
    exception saying why) for a caller that holds ``peer_rule`` but not the operator rules, and
    Forbidden for anyone else without them.
    """
    if peer_side and allowed(peer_rule, context):
        return True
    if not peer_side and allowed(peer_rule, context) and not all(
            allowed(rule, context) for rule in operator_rules):
        raise not_for_peer
    for rule in operator_rules:
        authorize(rule, context)
    return False
