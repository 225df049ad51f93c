"""Subcloud group operations: the rules the database alone cannot express."""

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import exception, states

LOG = logging.getLogger(__name__)


def create(context, group):
    group.create(context)
    LOG.info('Created subcloud group %(id)s (%(name)s)', {'id': group.id, 'name': group.name})
    return group


def update(context, group):
    if 'name' in group.obj_what_changed():
        if group.id == states.DEFAULT_GROUP_ID:
            current = objects.SubcloudGroup.get_by_id(context, group.id)
            if group.name != current.name:
                raise exception.SubcloudGroupDefaultNotRenamable()
        elif group.name.lower() == states.DEFAULT_GROUP_NAME.lower():
            raise exception.InvalidInput(reason='Invalid group name')
    group.save(context)
    LOG.info('Updated subcloud group %s', group.id)
    return group


def delete(context, group_id):
    if group_id == states.DEFAULT_GROUP_ID:
        raise exception.SubcloudGroupDefaultNotDeletable()
    group = objects.SubcloudGroup.get_by_id(context, group_id)
    group.destroy(context)
    LOG.info('Deleted subcloud group %s', group_id)
