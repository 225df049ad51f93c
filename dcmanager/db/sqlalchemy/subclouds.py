"""Subclouds and their endpoint statuses (SQLAlchemy implementation)."""

from oslo_db import exception as db_exc

from dcmanager.common import exception, states
from dcmanager.db.sqlalchemy import models
from dcmanager.db.sqlalchemy.api import _one_or_raise, main_context_manager


def _subcloud_query(context):
    return context.session.query(models.Subcloud)


@main_context_manager.reader
def subcloud_get(context, subcloud_id):
    return _one_or_raise(_subcloud_query(context).filter_by(id=subcloud_id),
                         exception.SubcloudNotFound())


@main_context_manager.reader
def subcloud_get_by_name(context, name):
    return _one_or_raise(_subcloud_query(context).filter_by(name=name),
                         exception.SubcloudNotFound())


@main_context_manager.reader
def subcloud_get_all(context, group_id=None):
    query = _subcloud_query(context)
    if group_id is not None:
        query = query.filter_by(group_id=group_id)
    return query.order_by(models.Subcloud.id).all()


@main_context_manager.writer
def subcloud_create(context, values):
    subcloud = models.Subcloud()
    subcloud.update(values)
    try:
        context.session.add(subcloud)
        context.session.flush()
    except db_exc.DBDuplicateEntry as e:
        if 'name' in (e.columns or []):
            raise exception.SubcloudNameTaken(name=values.get('name')) from None
        raise exception.Conflict(reason='a subcloud already uses %s' % ', '.join(e.columns)) \
            from None
    except db_exc.DBReferenceError:
        raise exception.InvalidInput(reason='Invalid group_id') from None
    for endpoint in states.ENDPOINT_TYPES:
        context.session.add(models.SubcloudStatus(subcloud_id=subcloud.id, endpoint_type=endpoint,
                                                  sync_status=states.SYNC_UNKNOWN))
    return subcloud


@main_context_manager.writer
def subcloud_destroy(context, subcloud_id):
    deleted = _subcloud_query(context).filter_by(id=subcloud_id).delete(synchronize_session=False)
    if not deleted:
        raise exception.SubcloudNotFound()




@main_context_manager.reader
def subcloud_get_secrets(context, subcloud_id):
    row = _one_or_raise(context.session.query(models.Subcloud.secrets).filter_by(id=subcloud_id),
                        exception.SubcloudNotFound())
    return row.secrets
