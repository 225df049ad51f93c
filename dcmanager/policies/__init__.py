"""Policy rules in code (oslo.policy), one module per resource."""

import itertools

from dcmanager.policies import (
    alarms,
    base,
    peer_group_associations,
    site_alarms,
    subcloud_groups,
    subcloud_peer_groups,
    subclouds,
    system_peers,
)


def list_rules(peer_role=base.DEFAULT_PEER_ROLE):
    """Every default rule, for the enforcer (``peer_role``: ``[peer] role``) and for
    oslopolicy-sample-generator (the default peer role)."""
    return list(itertools.chain(base.list_rules(peer_role), subcloud_groups.list_rules(),
                                subclouds.list_rules(), alarms.list_rules(),
                                system_peers.list_rules(), subcloud_peer_groups.list_rules(),
                                peer_group_associations.list_rules(),
                                site_alarms.list_rules()))
