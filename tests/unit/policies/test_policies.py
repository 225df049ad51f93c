"""The default policy rules (dcmanager.policies) as the API enforces them (dcmanager.api.policy)."""

import re

from oslo_policy import policy as oslo_policy
import pytest

from dcmanager import policies
from dcmanager.api import policy
from dcmanager.common import context as dc_context
from dcmanager.common import exception
from dcmanager.policies import (
    base,
    peer_group_associations,
    subcloud_groups,
    subcloud_peer_groups,
    system_peers,
)

RULE_NAME = re.compile(r'^dc_api:[a-z][a-z_]*[a-z]:[a-z][a-z_]*[a-z]$')

# The rules the API checks: everything but the role definitions of policies.base.
API_RULES = [rule for rule in policies.list_rules() if rule not in base.list_rules()]
GROUP_RULES = {
    'get': subcloud_groups.GET,
    'create': subcloud_groups.CREATE,
    'modify': subcloud_groups.MODIFY,
    'delete': subcloud_groups.DELETE,
}
PEER_RULES = {
    'get': system_peers.GET,
    'create': system_peers.CREATE,
    'modify': system_peers.MODIFY,
    'delete': system_peers.DELETE,
}
# The resources whose rules follow the same roles: read by every role of a system project,
# changed by its admins and configurators.
PEER_GROUP_RULES = {
    'get': subcloud_peer_groups.GET,
    'create': subcloud_peer_groups.CREATE,
    'modify': subcloud_peer_groups.MODIFY,
    'delete': subcloud_peer_groups.DELETE,
}
ASSOCIATION_RULES = {
    'get': peer_group_associations.GET,
    'create': peer_group_associations.CREATE,
    'modify': peer_group_associations.MODIFY,
    'delete': peer_group_associations.DELETE,
}
CRUD_RULES = [GROUP_RULES, PEER_RULES, PEER_GROUP_RULES, ASSOCIATION_RULES]
_CRUD = pytest.mark.parametrize('rules', CRUD_RULES,
                                ids=['subcloud_groups', 'system_peers', 'subcloud_peer_groups',
                                     'peer_group_associations'])


@pytest.fixture(autouse=True)
def enforcer(site):
    """The enforcer of the API process, built from the parsed configuration."""
    policy.reset()
    yield policy.get_enforcer()
    policy.reset()


def _ctx(project_name, *roles):
    return dc_context.RequestContext(user_id='u-' + '-'.join(roles), user_name='someone',
                                     project_id='p-' + project_name, project_name=project_name,
                                     roles=list(roles), overwrite=False)


def _allowed(rule, ctx):
    try:
        policy.authorize(rule, ctx)
    except exception.Forbidden:
        return False
    return True


# ------------------------------------------------------------------ the rules as declared

@_CRUD
def test_there_are_api_rules(rules):
    assert set(rules.values()) <= {rule.name for rule in API_RULES}


@pytest.mark.parametrize('rule', API_RULES, ids=lambda r: r.name)
def test_api_rule_name_description_and_operations(rule):
    assert RULE_NAME.match(rule.name), rule.name
    assert isinstance(rule, oslo_policy.DocumentedRuleDefault)
    assert rule.description.strip()
    for operation in rule.operations:
        assert operation['method'] in ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')
        assert operation['path'].startswith('/v1.0/')


@pytest.mark.parametrize('rule', base.list_rules(), ids=lambda r: r.name)
def test_base_rules_are_described(rule):
    assert rule.description.strip()


def test_rule_names_are_unique():
    names = [rule.name for rule in policies.list_rules()]
    assert len(names) == len(set(names))


def test_api_rules_only_refer_to_defined_rules():
    defined = {rule.name for rule in policies.list_rules()}
    for rule in policies.list_rules():
        for referenced in re.findall(r'rule:([\w:]+)', rule.check_str):
            assert referenced in defined, (rule.name, referenced)


# ------------------------------------------------------------------ the defaults in action

@_CRUD
@pytest.mark.parametrize('project', ['admin', 'services'])
def test_reader_may_read_but_not_change(rules, project):
    ctx = _ctx(project, 'reader')
    assert _allowed(rules['get'], ctx)
    for action in ('create', 'modify', 'delete'):
        assert not _allowed(rules[action], ctx), action


@_CRUD
@pytest.mark.parametrize('project', ['admin', 'services'])
def test_admin_of_a_system_project_may_do_everything(rules, project):
    ctx = _ctx(project, 'admin')
    for action, rule in rules.items():
        assert _allowed(rule, ctx), action


@_CRUD
@pytest.mark.parametrize('roles', [('admin',), ('admin', 'reader'), ('reader',),
                                   ('configurator',), ('operator',)])
def test_roles_in_another_project_allow_nothing(rules, roles):
    ctx = _ctx('demo', *roles)
    for action, rule in rules.items():
        assert not _allowed(rule, ctx), action


@_CRUD
def test_configurator_may_create_change_and_delete(rules):
    ctx = _ctx('admin', 'configurator')
    for action, rule in rules.items():
        assert _allowed(rule, ctx), action


@_CRUD
def test_operator_may_only_read(rules):
    ctx = _ctx('admin', 'operator')
    assert _allowed(rules['get'], ctx)
    for action in ('create', 'modify', 'delete'):
        assert not _allowed(rules[action], ctx), action


@_CRUD
def test_no_role_allows_nothing(rules):
    ctx = _ctx('admin')
    for action, rule in rules.items():
        assert not _allowed(rule, ctx), action


def test_refusal_names_the_rule():
    with pytest.raises(exception.Forbidden) as info:
        policy.authorize(subcloud_groups.CREATE, _ctx('admin', 'reader'))
    assert info.value.code == 403
    assert subcloud_groups.CREATE in info.value.message


def test_noauth_context_is_the_admin():
    ctx = dc_context.get_noauth_context()
    for action, rule in GROUP_RULES.items():
        assert _allowed(rule, ctx), action


# ------------------------------------------------------------------ subclouds: per-field rules

@pytest.mark.parametrize('fields,needed', [
    ({'management-state'}, ['dc_api:subclouds:manage_unmanage']),
    ({'management-state', 'force'}, ['dc_api:subclouds:manage_unmanage']),
    ({'description'}, ['dc_api:subclouds:modify']),
    ({'management-state', 'description'},
     ['dc_api:subclouds:manage_unmanage', 'dc_api:subclouds:modify']),
    (set(), ['dc_api:subclouds:modify']),
])
def test_subcloud_update_rules(fields, needed):
    from dcmanager.policies import subclouds
    assert subclouds.update_rules(fields) == needed


@pytest.mark.parametrize('roles,manage,modify', [
    (('operator',), True, False), (('configurator',), True, True), (('admin',), True, True),
    (('reader',), False, False), (('member',), False, False),
])
def test_subcloud_manage_and_modify_rules(roles, manage, modify):
    from dcmanager.policies import subclouds
    ctx = _ctx('admin', *roles)
    assert _allowed(subclouds.MANAGE_UNMANAGE, ctx) is manage
    assert _allowed(subclouds.MODIFY, ctx) is modify


# ------------------------------------------------------------------ the peer role

def _peer_only_rules():
    from dcmanager.policies import subclouds
    return [subclouds.SECONDARY, subclouds.MANAGE_PEER_GROUP_MEMBER,
            subcloud_peer_groups.NON_PRIMARY, peer_group_associations.NON_PRIMARY]


def _geo_reads():
    from dcmanager.policies import subclouds
    return [subclouds.GET, system_peers.GET, subcloud_peer_groups.GET,
            peer_group_associations.GET]


def _operator_writes():
    return [rule.name for rule in API_RULES
            if rule.name not in _peer_only_rules() and not rule.name.endswith(':get')]


def test_the_default_peer_role_is_the_configured_default():
    from dcmanager.conf import peer
    assert base.DEFAULT_PEER_ROLE == peer.DEFAULT_ROLE == 'dcmanager-peer'


@pytest.mark.parametrize('project', ['admin', 'services'])
def test_the_peer_role_writes_the_copies_and_reads_what_it_syncs(project):
    ctx = _ctx(project, 'dcmanager-peer')
    for rule in _peer_only_rules() + _geo_reads():
        assert _allowed(rule, ctx), rule
    for rule in _operator_writes() + [subcloud_groups.GET]:
        assert not _allowed(rule, ctx), rule


@pytest.mark.parametrize('roles', [('admin',), ('configurator',), ('operator',), ('reader',),
                                   ('admin', 'reader', 'operator', 'configurator'),
                                   ('member',), ()])
def test_no_operator_role_writes_the_copies(roles):
    ctx = _ctx('admin', *roles)
    for rule in _peer_only_rules():
        assert not _allowed(rule, ctx), rule


def test_the_peer_role_in_another_project_allows_nothing():
    ctx = _ctx('demo', 'dcmanager-peer')
    for rule in API_RULES:
        assert not _allowed(rule.name, ctx), rule.name


def test_the_peer_rule_follows_the_configured_role(site):
    from dcmanager.conf import CONF
    CONF.set_override('role', 'geo-peer', group='peer')
    policy.reset()
    try:
        assert _allowed(subcloud_peer_groups.NON_PRIMARY, _ctx('services', 'geo-peer'))
        assert not _allowed(subcloud_peer_groups.NON_PRIMARY, _ctx('services', 'dcmanager-peer'))
    finally:
        CONF.clear_override('role', group='peer')
        policy.reset()


def test_a_peer_role_name_is_checked(site):
    from dcmanager.conf import CONF
    with pytest.raises(ValueError):
        CONF.set_override('role', 'peer or role:admin', group='peer')
