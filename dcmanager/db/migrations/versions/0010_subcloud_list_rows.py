"""Every subcloud's rendered list row (``subcloud_list_rows``) and alarm summary row
(``subcloud_alarms.body``), and the triggers that keep them from going stale (see
``dcmanager.db.sqlalchemy.list_rows``).

The triggers (SQLite and PostgreSQL): a new subcloud gets its row, with a NULL body (to be
rendered); a change of one of the list row's columns, or any insert, change or delete of one of
its endpoint statuses, sets the body back to NULL in the same statement. An alarm summary's body
is NULL when inserted and set back to NULL when the summary or the subcloud's name changes. Existing subclouds get
a NULL row here; ``dcmanager-manage db_sync`` renders them after the upgrade.

A later migration that rebuilds ``subclouds``, ``subcloud_status`` or ``subcloud_alarms`` on SQLite (alembic's batch
mode copies the table) drops their triggers and must create them again:
``tests/unit/db/test_migrations.py`` checks that they exist at head.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:10:00
"""

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The subcloud columns a list row shows (but ``id``, which never changes), as of this revision.
LIST_COLUMNS = (
    'name', 'description', 'location', 'software_version', 'management_state',
    'availability_status', 'deploy_status', 'backup_status', 'backup_datetime',
    'error_description', 'region_name', 'management_subnet', 'management_start_ip',
    'management_end_ip', 'management_gateway_ip', 'openstack_installed', 'prestage_status',
    'prestage_versions', 'systemcontroller_gateway_ip', 'created_at', 'updated_at', 'group_id',
    'peer_group_id', 'sync_status',
)
STATUS_COLUMNS = ('subcloud_id', 'endpoint_type', 'sync_status')
ALARM_COLUMNS = ('subcloud_id', 'uuid', 'critical_alarms', 'major_alarms', 'minor_alarms',
                 'warnings', 'cloud_status')

_STALE = 'UPDATE subcloud_list_rows SET body = NULL WHERE subcloud_id = %s'

_SQLITE = (
    'CREATE TRIGGER subclouds_list_row_insert AFTER INSERT ON subclouds BEGIN '
    'INSERT INTO subcloud_list_rows (subcloud_id, body) VALUES (NEW.id, NULL); END',
    'CREATE TRIGGER subclouds_list_row_update AFTER UPDATE ON subclouds WHEN %s BEGIN %s; END'
    % (' OR '.join('NEW.%s IS NOT OLD.%s' % (c, c) for c in LIST_COLUMNS), _STALE % 'NEW.id'),
    'CREATE TRIGGER subcloud_status_list_row_insert AFTER INSERT ON subcloud_status BEGIN '
    '%s; END' % (_STALE % 'NEW.subcloud_id'),
    'CREATE TRIGGER subcloud_status_list_row_update AFTER UPDATE ON subcloud_status WHEN %s '
    'BEGIN %s; %s; END' % (' OR '.join('NEW.%s IS NOT OLD.%s' % (c, c) for c in STATUS_COLUMNS),
                           _STALE % 'OLD.subcloud_id', _STALE % 'NEW.subcloud_id'),
    'CREATE TRIGGER subcloud_status_list_row_delete AFTER DELETE ON subcloud_status BEGIN '
    '%s; END' % (_STALE % 'OLD.subcloud_id'),
    # (SQLite runs no trigger from a trigger's own statement: recursive_triggers is off.)
    'CREATE TRIGGER subcloud_alarms_body_update AFTER UPDATE ON subcloud_alarms WHEN %s BEGIN '
    'UPDATE subcloud_alarms SET body = NULL WHERE id = NEW.id; END'
    % ' OR '.join('NEW.%s IS NOT OLD.%s' % (c, c) for c in ALARM_COLUMNS),
    'CREATE TRIGGER subclouds_alarm_body_rename AFTER UPDATE ON subclouds '
    'WHEN NEW.name IS NOT OLD.name BEGIN '
    'UPDATE subcloud_alarms SET body = NULL WHERE subcloud_id = NEW.id; END',
)


def _pg_function(name, body):
    return ('CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN %s; '
            'RETURN NULL; END $$' % (name, body))


def _pg_distinct(columns):
    return '(%s) IS DISTINCT FROM (%s)' % (', '.join('OLD.%s' % c for c in columns),
                                           ', '.join('NEW.%s' % c for c in columns))


_POSTGRESQL = (
    _pg_function('subcloud_list_row_add',
                 'INSERT INTO subcloud_list_rows (subcloud_id, body) VALUES (NEW.id, NULL)'),
    _pg_function('subcloud_list_row_stale', _STALE % 'NEW.id'),
    _pg_function('subcloud_list_row_status_new', _STALE % 'NEW.subcloud_id'),
    _pg_function('subcloud_list_row_status_old', _STALE % 'OLD.subcloud_id'),
    _pg_function('subcloud_alarm_body_rename',
                 'UPDATE subcloud_alarms SET body = NULL WHERE subcloud_id = NEW.id'),
    'CREATE FUNCTION subcloud_alarm_body_stale() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
    'NEW.body := NULL; RETURN NEW; END $$',
    'CREATE TRIGGER subclouds_list_row_insert AFTER INSERT ON subclouds FOR EACH ROW '
    'EXECUTE FUNCTION subcloud_list_row_add()',
    'CREATE TRIGGER subclouds_list_row_update AFTER UPDATE ON subclouds FOR EACH ROW '
    'WHEN (%s) EXECUTE FUNCTION subcloud_list_row_stale()' % _pg_distinct(LIST_COLUMNS),
    'CREATE TRIGGER subcloud_status_list_row_insert AFTER INSERT ON subcloud_status '
    'FOR EACH ROW EXECUTE FUNCTION subcloud_list_row_status_new()',
    'CREATE TRIGGER subcloud_status_list_row_update_old AFTER UPDATE ON subcloud_status '
    'FOR EACH ROW WHEN (%s) EXECUTE FUNCTION subcloud_list_row_status_old()'
    % _pg_distinct(STATUS_COLUMNS),
    'CREATE TRIGGER subcloud_status_list_row_update_new AFTER UPDATE ON subcloud_status '
    'FOR EACH ROW WHEN (%s) EXECUTE FUNCTION subcloud_list_row_status_new()'
    % _pg_distinct(STATUS_COLUMNS),
    'CREATE TRIGGER subcloud_status_list_row_delete AFTER DELETE ON subcloud_status '
    'FOR EACH ROW EXECUTE FUNCTION subcloud_list_row_status_old()',
    'CREATE TRIGGER subcloud_alarms_body_update BEFORE UPDATE ON subcloud_alarms FOR EACH ROW '
    'WHEN (%s) EXECUTE FUNCTION subcloud_alarm_body_stale()' % _pg_distinct(ALARM_COLUMNS),
    'CREATE TRIGGER subclouds_alarm_body_rename AFTER UPDATE ON subclouds FOR EACH ROW '
    'WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION subcloud_alarm_body_rename()',
)
TRIGGERS = {'sqlite': _SQLITE, 'postgresql': _POSTGRESQL}


def upgrade():
    op.create_table(
        'subcloud_list_rows',
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('subcloud_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('body', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['subcloud_id'], ['subclouds.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('subcloud_id'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4',
    )
    op.create_index('ix_subcloud_list_rows_stale', 'subcloud_list_rows', ['subcloud_id'],
                    sqlite_where=sa.text('body IS NULL'),
                    postgresql_where=sa.text('body IS NULL'))
    op.execute('INSERT INTO subcloud_list_rows (subcloud_id, body) SELECT id, NULL FROM subclouds')
    op.add_column('subcloud_alarms', sa.Column('body', sa.Text(), nullable=True))
    op.create_index('ix_subcloud_alarms_stale', 'subcloud_alarms', ['id'],
                    sqlite_where=sa.text('body IS NULL'),
                    postgresql_where=sa.text('body IS NULL'))
    for statement in TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
