"""Subcloud peer group operations: what an operator may do to a group on this site.

A group created here is primary (priority 0) and led by this site. Only its leader's operators
may change it; a non-primary copy (priority > 0, written by the peer site) is read-only to them.
"""

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import exception

LOG = logging.getLogger(__name__)


def create(context, group):
    local = objects.LocalSystem.get(context)
    group.group_priority = 0
    group.system_leader_id = local.system_uuid
    group.system_leader_name = local.system_name
    group.create(context)
    LOG.info('Created subcloud peer group %(id)s (%(name)s, %(uuid)s)',
             {'id': group.id, 'name': group.peer_group_name, 'uuid': group.peer_group_uuid})
    return group


def check_led_here(context, group):
    """SubcloudPeerGroupNotPrimary for a non-primary copy, SubcloudPeerGroupNotLed for a group
    another site leads (after a migration)."""
    if not group.is_primary():
        raise exception.SubcloudPeerGroupNotPrimary()
    local = objects.LocalSystem.get(context)
    if (group.system_leader_id or '').lower() != local.system_uuid.lower():
        raise exception.SubcloudPeerGroupNotLed(
            name=group.peer_group_name, leader=group.system_leader_name or group.system_leader_id)


def update(context, group):
    current = objects.SubcloudPeerGroup.get_by_id(context, group.id)
    check_led_here(context, current)
    changed = sorted(group.obj_what_changed())
    group.save(context)
    LOG.info('Updated subcloud peer group %(id)s: %(fields)s',
             {'id': group.id, 'fields': ', '.join(changed) or 'nothing'})
    return group


def delete(context, group_id):
    group = objects.SubcloudPeerGroup.get_by_id(context, group_id)
    group.destroy(context)
    LOG.info('Deleted subcloud peer group %s', group_id)
