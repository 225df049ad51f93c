"""SQLAlchemy models: the tables of the v1.0 API (api-ref/source), with every uniqueness the
API relies on as a database constraint.

Deletes are hard deletes; there are no soft-delete columns. Secrets (passwords, install and rehome
data) are stored encrypted by the layers above; these columns hold ciphertext.
"""

from oslo_db.sqlalchemy import models
import sqlalchemy as sa
from sqlalchemy import orm

from dcmanager.common import states


class Base(models.TimestampMixin, models.ModelBase, orm.DeclarativeBase):
    """created_at / updated_at on every table (naive UTC, set by oslo.db)."""

    __table_args__ = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


class SubcloudGroup(Base):
    __tablename__ = 'subcloud_group'
    __table_args__ = (
        sa.CheckConstraint('max_parallel_subclouds >= 1 AND max_parallel_subclouds <= 5000',
                           name='ck_subcloud_group_max_parallel'),
        Base.__table_args__,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.String(255), nullable=False, unique=True)
    description = sa.Column(sa.String(255))
    update_apply_type = sa.Column(sa.String(255), nullable=False)
    max_parallel_subclouds = sa.Column(sa.Integer, nullable=False)


class SubcloudPeerGroup(Base):
    __tablename__ = 'subcloud_peer_group'

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    # Immutable identity that pairs the two sites' copies of a group (not the name).
    peer_group_uuid = sa.Column(sa.String(36), nullable=False, unique=True)
    peer_group_name = sa.Column(sa.String(255), nullable=False, unique=True)
    group_priority = sa.Column(sa.Integer, nullable=False, default=0)
    group_state = sa.Column(sa.String(255), nullable=False, default=states.GROUP_STATE_ENABLED)
    max_subcloud_rehoming = sa.Column(sa.Integer, nullable=False, default=10)
    system_leader_id = sa.Column(sa.String(255))
    system_leader_name = sa.Column(sa.String(255))
    # Leadership term: incremented by a migration; cross-site writes carry it and stale ones fail.
    leader_term = sa.Column(sa.Integer, nullable=False, default=1)
    migration_status = sa.Column(sa.String(255))
    # The host of the manager that runs the migration while it is ``migrating``.
    migration_owner = sa.Column(sa.String(255))
    # The lease of the group's audit (one at a time on the site): a token of the claim, and
    # when it ends (naive UTC).
    audit_owner = sa.Column(sa.String(255))
    audit_lease_until = sa.Column(sa.DateTime)


class Subcloud(Base):
    __tablename__ = 'subclouds'
    __table_args__ = (
        sa.Index('ix_subclouds_management_keys', 'management_first_key', 'management_last_key'),
        sa.Index('ix_subclouds_management_subnet_keys', 'management_subnet_first_key',
                 'management_subnet_last_key'),
        sa.Index('ix_subclouds_bootstrap_address', 'bootstrap_address'),
        Base.__table_args__,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.String(255), nullable=False, unique=True)
    description = sa.Column(sa.String(255))
    location = sa.Column(sa.String(255))
    software_version = sa.Column(sa.String(255))
    management_state = sa.Column(sa.String(255), nullable=False, default=states.UNMANAGED)
    availability_status = sa.Column(sa.String(255), nullable=False, default=states.OFFLINE,
                                    index=True)
    deploy_status = sa.Column(sa.String(255), nullable=False,
                              default=states.DEPLOY_NOT_DEPLOYED, index=True)
    backup_status = sa.Column(sa.String(255))
    backup_datetime = sa.Column(sa.DateTime)
    error_description = sa.Column(sa.String(2048), nullable=False,
                                  default=states.DEFAULT_ERROR_DESCRIPTION)
    region_name = sa.Column(sa.String(255), unique=True)
    data_install = sa.Column(sa.Text)
    data_upgrade = sa.Column(sa.Text)
    management_subnet = sa.Column(sa.String(255))
    management_gateway_ip = sa.Column(sa.String(255))
    management_start_ip = sa.Column(sa.String(255), unique=True)
    management_end_ip = sa.Column(sa.String(255), unique=True)
    systemcontroller_gateway_ip = sa.Column(sa.String(255))
    external_oam_subnet_ip_family = sa.Column(sa.String(255))
    openstack_installed = sa.Column(sa.Boolean, nullable=False, default=False)
    audit_fail_count = sa.Column(sa.Integer, nullable=False, default=0)
    first_identity_sync_complete = sa.Column(sa.Boolean, nullable=False, default=False)
    group_id = sa.Column(sa.Integer,
                         sa.ForeignKey('subcloud_group.id', ondelete='RESTRICT'),
                         nullable=False, server_default=str(states.DEFAULT_GROUP_ID), index=True)
    peer_group_id = sa.Column(sa.Integer,
                              sa.ForeignKey('subcloud_peer_group.id', ondelete='RESTRICT'),
                              index=True)
    # Sanitized rehome data (JSON: saved bootstrap values and address, no password in it).
    rehome_data = sa.Column(sa.Text)
    prestage_status = sa.Column(sa.String(255))
    prestage_versions = sa.Column(sa.String(255))
    rehomed = sa.Column(sa.Boolean, nullable=False, default=False)
    enrolled_with_vcsr = sa.Column(sa.Boolean, nullable=False, default=False)
    # The address the site reaches the subcloud on (its identity API and audit agent).
    bootstrap_address = sa.Column(sa.String(255))
    # Encrypted JSON (site key): passwords given at add time. Never returned by the API.
    secrets = sa.Column(sa.Text)
    # Aggregate of the endpoint statuses, kept with them so that lists need no join.
    sync_status = sa.Column(sa.String(255), nullable=False, default=states.SYNC_UNKNOWN,
                            server_default=states.SYNC_UNKNOWN)
    # Audit bookkeeping: a claim (owner + lease) so no subcloud is audited twice at once.
    last_audit_at = sa.Column(sa.DateTime, index=True)
    audit_owner = sa.Column(sa.String(36))
    audit_lease_until = sa.Column(sa.DateTime)
    # The manager (its [DEFAULT] host) running the operation of a transitory deploy status; NULL
    # in every other status. Written with the deploy status, in the same statement.
    deploy_owner = sa.Column(sa.String(255), index=True)
    # Sort keys (dcmanager.common.network.sort_key) of the first and last address of the
    # management range and of the management subnet, written with them: the overlap checks
    # of an add look up the index instead of parsing every other subcloud's addresses.
    management_first_key = sa.Column(sa.String(40))
    management_last_key = sa.Column(sa.String(40))
    management_subnet_first_key = sa.Column(sa.String(40))
    management_subnet_last_key = sa.Column(sa.String(40))


class SubcloudStatus(Base):
    __tablename__ = 'subcloud_status'
    __table_args__ = (
        sa.UniqueConstraint('subcloud_id', 'endpoint_type',
                            name='uq_subcloud_status_subcloud_endpoint'),
        Base.__table_args__,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    subcloud_id = sa.Column(sa.Integer, sa.ForeignKey('subclouds.id', ondelete='CASCADE'),
                            nullable=False)
    endpoint_type = sa.Column(sa.String(255), nullable=False)
    sync_status = sa.Column(sa.String(255), nullable=False, default=states.SYNC_UNKNOWN)


class SubcloudListRow(Base):
    """A subcloud's row of ``GET /v1.0/subclouds``, as JSON text: derived data, kept by the
    database's triggers and its writers (see ``dcmanager.db.sqlalchemy.list_rows``). NULL:
    to be rendered."""

    __tablename__ = 'subcloud_list_rows'
    __table_args__ = (
        # The rows to render, found without a scan.
        sa.Index('ix_subcloud_list_rows_stale', 'subcloud_id',
                 sqlite_where=sa.text('body IS NULL'), postgresql_where=sa.text('body IS NULL')),
        Base.__table_args__,
    )

    subcloud_id = sa.Column(sa.Integer, sa.ForeignKey('subclouds.id', ondelete='CASCADE'),
                            primary_key=True, autoincrement=False)
    body = sa.Column(sa.Text)


class LocalSystem(Base):
    """This site: one row (id 1), created at the first start."""

    __tablename__ = 'local_system'
    __table_args__ = (
        sa.CheckConstraint('id = 1', name='ck_local_system_one_row'),
        Base.__table_args__,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    system_uuid = sa.Column(sa.String(36), nullable=False)
    system_name = sa.Column(sa.String(255), nullable=False)


class SystemPeer(Base):
    __tablename__ = 'system_peer'

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    peer_uuid = sa.Column(sa.String(36), nullable=False, unique=True)
    peer_name = sa.Column(sa.String(255), nullable=False, unique=True)
    manager_endpoint = sa.Column(sa.String(255), nullable=False)
    manager_username = sa.Column(sa.String(255), nullable=False)
    # Encrypted with the site key; never returned by the API.
    manager_password = sa.Column(sa.Text)
    peer_controller_gateway_ip = sa.Column(sa.String(255))
    administrative_state = sa.Column(sa.String(255), nullable=False,
                                     default=states.ADMIN_STATE_ENABLED)
    heartbeat_interval = sa.Column(sa.Integer, nullable=False, default=60)
    heartbeat_failure_threshold = sa.Column(sa.Integer, nullable=False, default=3)
    heartbeat_failure_policy = sa.Column(sa.String(255), nullable=False, default='alarm')
    heartbeat_maintenance_timeout = sa.Column(sa.Integer, nullable=False, default=600)
    availability_state = sa.Column(sa.String(255), nullable=False,
                                   default=states.PEER_AVAILABILITY_CREATED)
    # The heartbeat: consecutive failures (never reset by an alarm), when the next one is due,
    # and which manager watches the peer (until its lease ends).
    heartbeat_failures = sa.Column(sa.Integer, nullable=False, default=0, server_default='0')
    next_heartbeat_at = sa.Column(sa.DateTime)
    monitor_owner = sa.Column(sa.String(255))
    monitor_lease_until = sa.Column(sa.DateTime)


class PeerGroupAssociation(Base):
    __tablename__ = 'peer_group_association'
    __table_args__ = (
        sa.UniqueConstraint('peer_group_id', 'system_peer_id',
                            name='uq_peer_group_association_pair'),
        Base.__table_args__,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    peer_group_id = sa.Column(sa.Integer,
                              sa.ForeignKey('subcloud_peer_group.id', ondelete='CASCADE'),
                              nullable=False)
    system_peer_id = sa.Column(sa.Integer, sa.ForeignKey('system_peer.id', ondelete='CASCADE'),
                               nullable=False)
    peer_group_priority = sa.Column(sa.Integer, nullable=False)
    association_type = sa.Column(sa.String(255), nullable=False)
    sync_status = sa.Column(sa.String(255), nullable=False)
    sync_message = sa.Column(sa.Text)
    # The manager that runs the association's sync (while it is syncing), as deploy_owner.
    sync_owner = sa.Column(sa.String(255), index=True)


class PeerCleanup(Base):
    """The copies a forced delete of a primary association left on the peer site (it could not
    be reached): the group's copy (by UUID), its association and its secondary subclouds, to be
    removed there once it is back."""

    __tablename__ = 'peer_cleanup'
    __table_args__ = (
        sa.UniqueConstraint('system_peer_id', 'peer_group_uuid',
                            name='uq_peer_cleanup_peer_group'),
        Base.__table_args__,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    system_peer_id = sa.Column(sa.Integer, sa.ForeignKey('system_peer.id', ondelete='CASCADE'),
                               nullable=False)
    peer_group_uuid = sa.Column(sa.String(36), nullable=False)
    peer_group_name = sa.Column(sa.String(255), nullable=False)


class SiteAlarm(Base):
    """An alarm of the site itself (not of a subcloud): one per (alarm id, entity) while it is
    raised, e.g. a peer site's heartbeat failing (entity ``peer=<uuid>``)."""

    __tablename__ = 'site_alarms'
    __table_args__ = (
        sa.UniqueConstraint('alarm_id', 'entity', name='uq_site_alarms_alarm_entity'),
        Base.__table_args__,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    alarm_id = sa.Column(sa.String(16), nullable=False)
    entity = sa.Column(sa.String(255), nullable=False)
    severity = sa.Column(sa.String(16), nullable=False)
    reason = sa.Column(sa.Text, nullable=False)
    repair = sa.Column(sa.Text, nullable=False)


class SubcloudAlarmSummary(Base):
    __tablename__ = 'subcloud_alarms'
    __table_args__ = (
        sa.Index('ix_subcloud_alarms_stale', 'id', sqlite_where=sa.text('body IS NULL'),
                 postgresql_where=sa.text('body IS NULL')),
        Base.__table_args__,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    uuid = sa.Column(sa.String(36), nullable=False, unique=True)
    subcloud_id = sa.Column(sa.Integer, sa.ForeignKey('subclouds.id', ondelete='CASCADE'),
                            nullable=False, unique=True)
    critical_alarms = sa.Column(sa.Integer, nullable=False, default=-1)
    major_alarms = sa.Column(sa.Integer, nullable=False, default=-1)
    minor_alarms = sa.Column(sa.Integer, nullable=False, default=-1)
    warnings = sa.Column(sa.Integer, nullable=False, default=-1)
    cloud_status = sa.Column(sa.String(64), nullable=False, default=states.CLOUD_STATUS_DISABLED)
    # The summary's row of ``GET /v1.0/alarms`` as JSON text (with the subcloud's name): derived
    # data, kept like a subcloud's list row (``dcmanager.db.sqlalchemy.list_rows``). NULL: to
    # be rendered.
    body = sa.Column(sa.Text)


class TokenCache(Base):
    """Tokens for subclouds and peer sites shared by every process of the site (encrypted)."""

    __tablename__ = 'token_cache'

    # sha256 of (auth URL, user, user domain, project, project domain): no identity in clear.
    key_hash = sa.Column(sa.String(64), primary_key=True)
    token_ciphertext = sa.Column(sa.Text)
    # sha256 of the token id, for compare-and-delete without decrypting.
    token_digest = sa.Column(sa.String(64))
    expires_at = sa.Column(sa.DateTime, index=True)
    # While set and in the future, one process is renewing this token; the others wait for it.
    lease_until = sa.Column(sa.DateTime)


class Service(Base):
    """A running service's heartbeat: ``updated_at`` is written every heartbeat interval."""

    __tablename__ = 'services'
    __table_args__ = (
        sa.UniqueConstraint('host', 'binary', name='uq_services_host_binary'),
        Base.__table_args__,
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    host = sa.Column(sa.String(255), nullable=False)
    binary = sa.Column(sa.String(255), nullable=False)
