"""Subcloud groups (SQLAlchemy implementation).

A group's name is unique by the database; its deletion is refused, in the same statement, while
a subcloud is in it. The Default group (id 1) is seeded by the migrations and made again if
missing (``subcloud_group_ensure_default``).
"""

from oslo_db import exception as db_exc
import sqlalchemy as sa

from dcmanager.common import exception, states
from dcmanager.db.sqlalchemy import models
from dcmanager.db.sqlalchemy.core import main_context_manager, one_or_raise, save, writer


def _group_query(context):
    return context.session.query(models.SubcloudGroup)


@main_context_manager.reader
def subcloud_group_get(context, group_id):
    return one_or_raise(_group_query(context).filter_by(id=group_id),
                        exception.SubcloudGroupNotFound())


@main_context_manager.reader
def subcloud_group_get_by_name(context, name):
    return one_or_raise(_group_query(context).filter_by(name=name),
                        exception.SubcloudGroupNotFound())


@main_context_manager.reader
def subcloud_group_get_all(context):
    return _group_query(context).order_by(models.SubcloudGroup.id).all()


@main_context_manager.reader
def subcloud_group_subcloud_counts(context):
    rows = (context.session.query(models.Subcloud.group_id, sa.func.count(models.Subcloud.id))
            .group_by(models.Subcloud.group_id).all())
    return dict(rows)


@writer
def subcloud_group_create(context, values):
    group = models.SubcloudGroup()
    group.update(values)
    return save(context.session, group, exception.SubcloudGroupNameTaken())


@writer
def subcloud_group_update(context, group_id, values):
    group = one_or_raise(_group_query(context).filter_by(id=group_id),
                         exception.SubcloudGroupNotFound())
    group.update(values)
    return save(context.session, group, exception.SubcloudGroupNameTaken())


@writer
def subcloud_group_destroy(context, group_id):
    members = sa.select(models.Subcloud.id).where(models.Subcloud.group_id == group_id)
    try:
        deleted = (_group_query(context)
                   .filter(models.SubcloudGroup.id == group_id, ~members.exists())
                   .delete(synchronize_session=False))
    except db_exc.DBReferenceError:
        raise exception.SubcloudGroupNotEmpty() from None
    if deleted:
        return
    # Nothing deleted: tell the caller why, from the same transaction.
    one_or_raise(_group_query(context).filter_by(id=group_id),
                 exception.SubcloudGroupNotFound())
    raise exception.SubcloudGroupNotEmpty()


@writer
def subcloud_group_ensure_default(context):
    """Create the Default group (id 1) if it is missing; the migrations seed it too."""
    if _group_query(context).filter_by(id=states.DEFAULT_GROUP_ID).first() is None:
        context.session.add(models.SubcloudGroup(
            id=states.DEFAULT_GROUP_ID, name=states.DEFAULT_GROUP_NAME,
            description=states.DEFAULT_GROUP_DESCRIPTION,
            update_apply_type=states.APPLY_PARALLEL,
            max_parallel_subclouds=states.DEFAULT_GROUP_MAX_PARALLEL))
        context.session.flush()
        if context.session.get_bind().dialect.name == 'postgresql':
            # An explicit id does not advance PostgreSQL's sequence: without this the next group
            # would be given id 1 too (a primary-key clash reported as "name taken"). Never moves
            # the sequence back, so ids of deleted groups are not handed out again.
            context.session.execute(sa.text(
                "SELECT setval(seq, GREATEST((SELECT max(id) FROM subcloud_group),"
                " COALESCE(pg_sequence_last_value(seq::regclass), 1)))"
                " FROM (SELECT pg_get_serial_sequence('subcloud_group', 'id') AS seq) AS s"))
