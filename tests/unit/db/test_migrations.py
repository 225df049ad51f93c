"""alembic migrations on a fresh SQLite file: they reach head and build exactly the models' schema.

The session's site owns the global enginefacade (``[database] connection``); these tests use their
own engine on their own file and drive the same alembic environment through it.
"""

from alembic import autogenerate, command
from alembic import migration as alembic_migration
from alembic import script as alembic_script
import pytest
import sqlalchemy as sa

from dcmanager.common import states
from dcmanager.db import migration
from dcmanager.db.sqlalchemy import models


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine('sqlite:///%s' % (tmp_path / 'fresh.sqlite'))

    @sa.event.listens_for(engine, 'connect')
    def _foreign_keys(dbapi_connection, connection_record):
        # As the product's engine does: the migrations must work with constraints enforced.
        dbapi_connection.execute('PRAGMA foreign_keys=ON')

    yield engine
    engine.dispose()


def _upgrade(engine, revision='head'):
    with engine.begin() as connection:
        command.upgrade(migration._config(connection), revision)


def _revision(engine):
    with engine.connect() as connection:
        return alembic_migration.MigrationContext.configure(connection).get_current_revision()


def test_fresh_database_has_no_revision(engine):
    assert _revision(engine) is None


def test_upgrade_reaches_head(engine):
    _upgrade(engine)
    assert _revision(engine) == migration.head()
    assert migration.head() is not None


def test_upgrade_twice_is_a_no_op(engine):
    _upgrade(engine)
    _upgrade(engine)
    assert _revision(engine) == migration.head()
    with engine.connect() as connection:
        assert connection.execute(sa.text('SELECT count(*) FROM subcloud_group')).scalar() == 1


def test_default_group_exists_with_id_1(engine):
    _upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            'SELECT id, name, description, update_apply_type, max_parallel_subclouds, '
            'created_at FROM subcloud_group')).all()
    assert len(rows) == 1
    group = rows[0]
    assert (group.id, group.name, group.description, group.update_apply_type,
            group.max_parallel_subclouds) == (
        states.DEFAULT_GROUP_ID, states.DEFAULT_GROUP_NAME, states.DEFAULT_GROUP_DESCRIPTION,
        states.APPLY_PARALLEL, states.DEFAULT_GROUP_MAX_PARALLEL)
    assert group.created_at is not None


def test_next_group_gets_id_2(engine):
    _upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO subcloud_group (name, update_apply_type, max_parallel_subclouds) "
            "VALUES ('edge', 'serial', 3)"))
        assert connection.execute(
            sa.text("SELECT id FROM subcloud_group WHERE name = 'edge'")).scalar() == 2


def _compare(engine, metadata):
    with engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(
            connection, opts={'compare_type': True, 'compare_server_default': True})
        return autogenerate.compare_metadata(context, metadata)


def test_schema_matches_the_models(engine):
    _upgrade(engine)
    diff = _compare(engine, models.Base.metadata)
    assert diff == [], 'migrations and models differ: add a migration for %s' % (diff,)


def test_a_model_change_without_a_migration_is_a_difference(engine):
    # What test_schema_matches_the_models catches: a column only the models have.
    _upgrade(engine)
    metadata = sa.MetaData()
    for table in models.Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    metadata.tables['subcloud_group'].append_column(sa.Column('colour', sa.String(16)))
    diff = _compare(engine, metadata)
    assert [(d[0], d[2], d[3].name) for d in diff] == [('add_column', 'subcloud_group', 'colour')]


def test_every_revision_step_upgrades(engine):
    # Upgrading one revision at a time reaches the same head as one upgrade.
    script = alembic_script.ScriptDirectory(migration._MIGRATIONS)
    revisions = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert revisions[-1] == migration.head()
    for revision in revisions:
        _upgrade(engine, revision)
        assert _revision(engine) == revision


def _sqlite_triggers(engine):
    with engine.connect() as connection:
        return set(connection.execute(sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())


def test_the_list_row_triggers_exist_at_head(engine):
    # A later migration that rebuilds subclouds or subcloud_status (batch mode on SQLite)
    # drops their triggers: it must create them again (see revision 0010).
    _upgrade(engine)
    assert _sqlite_triggers(engine) == {
        'subclouds_list_row_insert', 'subclouds_list_row_update',
        'subcloud_status_list_row_insert', 'subcloud_status_list_row_update',
        'subcloud_status_list_row_delete', 'subcloud_alarms_body_update',
        'subclouds_alarm_body_rename'}


def _body(connection, subcloud_id):
    return connection.execute(sa.text('SELECT body FROM subcloud_list_rows WHERE subcloud_id = '
                                      ':id'), {'id': subcloud_id}).one().body


def test_existing_subclouds_get_a_list_row_to_render(engine):
    _upgrade(engine, '0009')
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO subclouds (id, name, management_state, availability_status, "
            "deploy_status, error_description, openstack_installed, audit_fail_count, "
            "first_identity_sync_complete, group_id, rehomed, enrolled_with_vcsr) "
            "VALUES (7, 'sc7', 'unmanaged', 'offline', 'complete', '', 0, 0, 0, 1, 0, 0)"))
    _upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(sa.text('SELECT subcloud_id, body FROM subcloud_list_rows'))
        assert [tuple(row) for row in rows] == [(7, None)]


def test_the_triggers_mark_a_list_row_to_render(engine):
    _upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO subclouds (id, name, management_state, availability_status, "
            "deploy_status, error_description, openstack_installed, audit_fail_count, "
            "first_identity_sync_complete, group_id, rehomed, enrolled_with_vcsr) "
            "VALUES (3, 'sc3', 'unmanaged', 'offline', 'complete', '', 0, 0, 0, 1, 0, 0)"))
        assert _body(connection, 3) is None

        def rendered():
            connection.execute(sa.text("UPDATE subcloud_list_rows SET body = 'x'"))

        rendered()
        connection.execute(sa.text("UPDATE subclouds SET audit_owner = 'o', "
                                   "last_audit_at = '2026-12-04 10:00:00' WHERE id = 3"))
        assert _body(connection, 3) == 'x'  # not a column of the list row
        connection.execute(sa.text("UPDATE subclouds SET availability_status = 'offline' "
                                   "WHERE id = 3"))
        assert _body(connection, 3) == 'x'  # the same value
        connection.execute(sa.text("UPDATE subclouds SET prestage_status = 'p' WHERE id = 3"))
        assert _body(connection, 3) is None
        for statement in ("INSERT INTO subcloud_status (subcloud_id, endpoint_type, sync_status)"
                          " VALUES (3, 'identity', 'unknown')",
                          "UPDATE subcloud_status SET sync_status = 'in-sync'",
                          "DELETE FROM subcloud_status"):
            rendered()
            connection.execute(sa.text(statement))
            assert _body(connection, 3) is None, statement
        connection.execute(sa.text(
            "INSERT INTO subcloud_alarms (id, uuid, subcloud_id, critical_alarms, major_alarms, "
            "minor_alarms, warnings, cloud_status, body) VALUES (5, 'u', 3, 0, 0, 0, 0, 'OK', "
            "'y')"))
        for statement, stale in (("UPDATE subcloud_alarms SET warnings = 0", False),
                                 ("UPDATE subcloud_alarms SET warnings = 2", True),
                                 ("UPDATE subclouds SET location = 'x'", False),
                                 ("UPDATE subclouds SET name = 'sc3b'", True)):
            connection.execute(sa.text("UPDATE subcloud_alarms SET body = 'y'"))
            connection.execute(sa.text(statement))
            alarm = connection.execute(sa.text('SELECT body FROM subcloud_alarms')).scalar()
            assert alarm == (None if stale else 'y'), statement
        rendered()
        connection.execute(sa.text('DELETE FROM subclouds WHERE id = 3'))
        assert connection.execute(sa.text('SELECT count(*) FROM subcloud_list_rows')).scalar() == 0


def test_the_list_row_trigger_watches_every_column_of_the_row(engine):
    # A column added to the list row (subcloud_json.KEYS) needs a migration that has the
    # trigger watch it too, or a change of it alone would leave the stored row stale.
    import re

    from dcmanager.common import subcloud_json

    _upgrade(engine)
    with engine.connect() as connection:
        sql = connection.execute(sa.text(
            "SELECT sql FROM sqlite_master WHERE name = 'subclouds_list_row_update'")).scalar()
    watched = set(re.findall(r'NEW\.(\w+) IS NOT OLD\.\1', sql))
    assert watched == set(subcloud_json.COLUMNS) - {'id'}


def test_existing_subclouds_get_their_address_keys(engine):
    # Revision 0011: the keys of the management range and subnet of the subclouds already there
    # (a v4 one, a v6 one, one whose addresses do not parse), without making their list rows
    # stale (the columns are added, the table is not rebuilt).
    _upgrade(engine, '0010')
    with engine.begin() as connection:
        for sid, subnet, start, end in ((1, '127.20.1.0/24', '127.20.1.2', '127.20.1.50'),
                                        (2, 'fd01:2::/64', 'fd01:2::2', 'fd01:2::50'),
                                        (3, 'garbage', 'garbage', None)):
            connection.execute(sa.text(
                "INSERT INTO subclouds (id, name, management_state, availability_status, "
                "deploy_status, error_description, openstack_installed, audit_fail_count, "
                "first_identity_sync_complete, group_id, rehomed, enrolled_with_vcsr, "
                "management_subnet, management_start_ip, management_end_ip) "
                "VALUES (:id, :name, 'unmanaged', 'offline', 'complete', '', 0, 0, 0, 1, 0, 0, "
                ":subnet, :start, :end)"),
                {'id': sid, 'name': 'sc%d' % sid, 'subnet': subnet, 'start': start, 'end': end})
        connection.execute(sa.text("UPDATE subcloud_list_rows SET body = 'rendered'"))
    _upgrade(engine, '0011')
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            'SELECT id, management_first_key, management_last_key, '
            'management_subnet_first_key, management_subnet_last_key FROM subclouds '
            'ORDER BY id')).all()
        bodies = connection.execute(sa.text('SELECT body FROM subcloud_list_rows')).scalars()
        assert set(bodies) == {'rendered'}
    assert [tuple(row) for row in rows] == [
        (1, '4:7f140102', '4:7f140132', '4:7f140100', '4:7f1401ff'),
        (2, '6:fd010002000000000000000000000002', '6:fd010002000000000000000000000050',
         '6:fd010002000000000000000000000000', '6:fd01000200000000ffffffffffffffff'),
        (3, None, None, None, None)]
