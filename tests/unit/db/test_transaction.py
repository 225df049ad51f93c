"""``db.api.transaction``: several writes, one transaction, on the real database."""

import pytest
import sqlalchemy as sa

from dcmanager.common import exception
from dcmanager.db import api as db_api


def _group(name):
    return {'name': name, 'description': 'tx', 'update_apply_type': 'parallel',
            'max_parallel_subclouds': 2}


def _committed_names(prefix):
    # A connection of its own: sees only what was committed.
    with db_api.get_engine().connect() as conn:
        rows = conn.execute(sa.text('SELECT name FROM subcloud_group WHERE name LIKE :p'),
                            {'p': prefix + '%'})
        return sorted(row[0] for row in rows)


def test_failed_write_rolls_back_the_earlier_writes_of_the_block(database):
    context = database.context()
    try:
        with pytest.raises(exception.SubcloudGroupNameTaken):
            with db_api.transaction(context):
                db_api.subcloud_group_create(context, _group('tx-first'))
                db_api.subcloud_group_create(context, _group('tx-second'))
                db_api.subcloud_group_create(context, _group('tx-first'))
        assert _committed_names('tx-') == []
        with pytest.raises(exception.SubcloudGroupNotFound):
            db_api.subcloud_group_get_by_name(database.context(), 'tx-first')
    finally:
        database.reset_database()


def test_nested_writers_join_the_outer_transaction(database):
    context = database.context()
    try:
        with db_api.transaction(context):
            db_api.subcloud_group_create(context, _group('tx-nested'))
            # Not committed by the inner writer, yet visible inside the block.
            assert db_api.subcloud_group_get_by_name(context, 'tx-nested').name == 'tx-nested'
            assert _committed_names('tx-') == []
        assert _committed_names('tx-') == ['tx-nested']
    finally:
        database.reset_database()
