"""One description per resource of the v1.0 API: where it lives, what its list is wrapped in,
the columns of its list and of its show (each the response key it is read from), the options of
its add and update (each the request key it fills), and its sub-lists.

``commands.py`` builds every ``list``/``show``/``add``/``update``/``delete``/``list-*`` command
from these, so a column or key is written once; ``tests/unit/cli/test_resources.py`` checks every
key against the api-ref sample bodies, so the CLI and the reference never drift. Column names are
the reference client's (python-dcmanagerclient), spaces and underscores as it has them; keys are
the server's, hyphens and underscores as it sends them.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Column:
    """A column ``name`` shown from the response key ``key`` (``default`` when absent)."""

    name: str
    key: str
    default: object = None

    def value(self, doc):
        return doc.get(self.key, self.default)


def columns(*pairs):
    return tuple(Column(*pair) for pair in pairs)


@dataclasses.dataclass(frozen=True)
class Option:
    """An option of an add or update that fills the request key ``key``.

    ``type=int`` sends a number, otherwise the text typed (the reference sends typed numbers as
    strings and its defaults as numbers: ``default`` is sent as written here). A ``password`` is
    sent base64; absent on an add it is asked for (on a terminal only).
    """

    flag: str
    key: str
    help: str
    required: bool = False
    default: object = None
    type: object = None
    choices: tuple = None
    password: bool = False
    metavar: str = None

    @property
    def dest(self):
        return self.flag.lstrip('-').replace('-', '_')


@dataclasses.dataclass(frozen=True)
class SubList:
    """``<resource> <command> <ref>``: ``GET <path>/<ref>/<path>``, a list under ``key``."""

    command: str
    path: str
    key: str
    columns: tuple
    help: str


@dataclasses.dataclass(frozen=True)
class Resource:
    command: str
    noun: str
    path: str
    list_key: str
    list_columns: tuple
    show_columns: tuple
    add_options: tuple = ()
    update_options: tuple = ()
    sublists: tuple = ()
    ref_help: str = 'name or ID'

    @property
    def plural(self):
        return self.noun + 's'

    @property
    def metavar(self):
        return self.command.replace('-', '_')


# ------------------------------------------------------------------------------ subclouds

SUBCLOUD_BASIC = columns(
    ('id', 'id'), ('name', 'name'), ('management', 'management-state'),
    ('availability', 'availability-status'), ('deploy status', 'deploy-status'),
    ('sync', 'sync_status', 'unknown'), ('backup status', 'backup-status'),
    ('prestage status', 'prestage-status'))

SUBCLOUD_DETAIL21 = columns(
    ('id', 'id'), ('name', 'name'), ('description', 'description'), ('location', 'location'),
    ('software_version', 'software-version'), ('management', 'management-state'),
    ('availability', 'availability-status'), ('deploy_status', 'deploy-status'),
    ('management_subnet', 'management-subnet'),
    ('management_start_ip', 'management-start-ip'),
    ('management_end_ip', 'management-end-ip'),
    ('management_gateway_ip', 'management-gateway-ip'),
    ('systemcontroller_gateway_ip', 'systemcontroller-gateway-ip'),
    ('group_id', 'group_id'), ('peer_group_id', 'peer_group_id'),
    ('created_at', 'created-at'), ('updated_at', 'updated-at'),
    ('backup_status', 'backup-status'), ('backup_datetime', 'backup-datetime'),
    ('prestage_status', 'prestage-status'), ('prestage_versions', 'prestage-versions'))

# `subcloud list -d` (or any -c): detail21 with the aggregate sync after deploy_status.
_AFTER = [c.name for c in SUBCLOUD_DETAIL21].index('deploy_status') + 1
SUBCLOUD_DETAIL_LIST = (SUBCLOUD_DETAIL21[:_AFTER] + columns(('sync', 'sync_status', 'unknown'))
                        + SUBCLOUD_DETAIL21[_AFTER:])

# Hidden from `subcloud list` unless --all: a peer site's copies.
SECONDARY_DEPLOY_STATES = ('secondary', 'secondary-failed')


def subcloud_detail(doc, show_region=False):
    """(columns, values) of one subcloud as show/add/update/manage/unmanage print it: detail21,
    one ``<endpoint_type>_sync_status`` per ``endpoint_sync_status`` entry, ``oam_floating_ip``
    unless ``unavailable``, ``deploy_config_sync_status`` unless ``unknown``, and (show only)
    ``region_name`` when set."""
    names = [c.name for c in SUBCLOUD_DETAIL21]
    values = [c.value(doc) for c in SUBCLOUD_DETAIL21]
    for entry in doc.get('endpoint_sync_status') or ():
        if isinstance(entry, dict) and entry.get('endpoint_type'):
            names.append('%s_sync_status' % entry['endpoint_type'])
            values.append(entry.get('sync_status'))
    oam = doc.get('oam_floating_ip', 'unavailable')
    if oam != 'unavailable':
        names.append('oam_floating_ip')
        values.append(oam)
    deploy_config = doc.get('deploy_config_sync_status', 'unknown')
    if deploy_config != 'unknown':
        names.append('deploy_config_sync_status')
        values.append(deploy_config)
    region = doc.get('region_name') or doc.get('region-name')
    if show_region and region:
        names.append('region_name')
        values.append(region)
    return tuple(names), tuple(values)


SUBCLOUD = Resource(
    command='subcloud', noun='subcloud', path='subclouds', list_key='subclouds',
    list_columns=SUBCLOUD_BASIC, show_columns=SUBCLOUD_DETAIL21)

# ------------------------------------------------------------------------ subcloud groups

APPLY_TYPES = ('serial', 'parallel')

SUBCLOUD_GROUP = Resource(
    command='subcloud-group', noun='subcloud group', path='subcloud-groups',
    list_key='subcloud_groups',
    list_columns=columns(('id', 'id'), ('name', 'name'), ('description', 'description')),
    show_columns=columns(
        ('id', 'id'), ('name', 'name'), ('description', 'description'),
        ('update apply type', 'update_apply_type'),
        ('max parallel subclouds', 'max_parallel_subclouds'),
        ('created_at', 'created-at'), ('updated_at', 'updated-at')),
    add_options=(
        Option('--name', 'name', 'Name of the subcloud group.', required=True),
        Option('--description', 'description', 'Description of the subcloud group.',
               default='No description provided'),
        Option('--update_apply_type', 'update_apply_type',
               'Whether subclouds in the group are updated in serial or in parallel.',
               default='parallel', choices=APPLY_TYPES),
        Option('--max_parallel_subclouds', 'max_parallel_subclouds',
               'Maximum number of subclouds of the group updated at once.', default=2),
    ),
    update_options=(
        Option('--name', 'name', 'New name of the subcloud group.'),
        Option('--description', 'description', 'New description of the subcloud group.'),
        Option('--update_apply_type', 'update_apply_type',
               'Whether subclouds in the group are updated in serial or in parallel.',
               choices=APPLY_TYPES),
        Option('--max_parallel_subclouds', 'max_parallel_subclouds',
               'Maximum number of subclouds of the group updated at once.', type=int),
    ),
    sublists=(SubList('list-subclouds', 'subclouds', 'subclouds', SUBCLOUD_DETAIL21,
                      'List the subclouds of a subcloud group.'),),
)

# --------------------------------------------------------------------------- system peers

HEARTBEAT_POLICIES = ('alarm', 'rehome', 'delegate')
ADMIN_STATES = ('enabled', 'disabled')


def _system_peer_options(add):
    req = dict(required=True) if add else {}

    def dflt(value):
        return dict(default=value) if add else {}
    return (
        Option('--peer-uuid', 'peer_uuid', 'UUID of the peer site (its system UUID).', **req),
        Option('--peer-name', 'peer_name', 'Name of the peer site.', **req),
        Option('--manager-endpoint', 'manager_endpoint',
               'Keystone URL of the peer site (its identity v3 endpoint).', **req),
        Option('--manager-username', 'manager_username',
               'User this site authenticates as at the peer site.', **dflt('admin')),
        Option('--manager-password', 'manager_password',
               'Password of that user (asked for when omitted, on a terminal).',
               password=True),
        Option('--peer-controller-gateway-address', 'peer_controller_gateway_address',
               'The peer system controller\'s gateway address for the subclouds.', **req),
        Option('--administrative-state', 'administrative_state',
               'Whether the peer is in use.', choices=ADMIN_STATES, **dflt('enabled')),
        Option('--heartbeat-interval', 'heartbeat_interval',
               'Seconds between heartbeats to the peer.', **dflt(60)),
        Option('--heartbeat-failure-threshold', 'heartbeat_failure_threshold',
               'Failed heartbeats in a row that make the peer unavailable.', **dflt(3)),
        Option('--heartbeat-failure-policy', 'heartbeat_failure_policy',
               'What to do when the peer is unavailable.', choices=HEARTBEAT_POLICIES,
               **dflt('alarm')),
        Option('--heartbeat-maintenance-timeout', 'heartbeat_maintenance_timeout',
               'Seconds a peer may be in maintenance.', **dflt(600)),
    )


SUBCLOUD_PEER_GROUP_LIST_SHORT = columns(
    ('id', 'id'), ('peer_group_name', 'peer_group_name'), ('group_priority', 'group_priority'),
    ('group_state', 'group_state'), ('system_leader_id', 'system_leader_id'),
    ('system_leader_name', 'system_leader_name'),
    ('max_subcloud_rehoming', 'max_subcloud_rehoming'))

SYSTEM_PEER = Resource(
    command='system-peer', noun='system peer', path='system-peers', list_key='system_peers',
    ref_help='name, ID or UUID',
    list_columns=columns(
        ('id', 'id'), ('peer uuid', 'peer-uuid'), ('peer name', 'peer-name'),
        ('manager endpoint', 'manager-endpoint'),
        ('controller gateway address', 'peer-controller-gateway-address')),
    show_columns=columns(
        ('id', 'id'), ('peer uuid', 'peer-uuid'), ('peer name', 'peer-name'),
        ('manager endpoint', 'manager-endpoint'), ('manager username', 'manager-username'),
        ('controller gateway address', 'peer-controller-gateway-address'),
        ('administrative state', 'administrative-state'),
        ('heartbeat interval', 'heartbeat-interval'),
        ('heartbeat failure threshold', 'heartbeat-failure-threshold'),
        ('heartbeat failure policy', 'heartbeat-failure-policy'),
        ('heartbeat maintenance timeout', 'heartbeat-maintenance-timeout'),
        ('availability state', 'availability-state'),
        ('created_at', 'created-at'), ('updated_at', 'updated-at')),
    add_options=_system_peer_options(add=True),
    update_options=_system_peer_options(add=False),
    sublists=(SubList('list-subcloud-peer-groups', 'subcloud-peer-groups',
                      'subcloud_peer_groups', SUBCLOUD_PEER_GROUP_LIST_SHORT,
                      'List the subcloud peer groups associated with a system peer.'),),
)

# -------------------------------------------------------------------- subcloud peer groups

SUBCLOUD_PEER_GROUP = Resource(
    command='subcloud-peer-group', noun='subcloud peer group', path='subcloud-peer-groups',
    list_key='subcloud_peer_groups',
    list_columns=SUBCLOUD_PEER_GROUP_LIST_SHORT + columns(
        ('created_at', 'created-at'), ('updated_at', 'updated-at')),
    show_columns=SUBCLOUD_PEER_GROUP_LIST_SHORT + columns(
        ('created_at', 'created-at'), ('updated_at', 'updated-at')),
    add_options=(
        Option('--peer-group-name', 'peer-group-name', 'Name of the subcloud peer group.',
               required=True),
        Option('--group-state', 'group-state', 'Whether the group is in use.',
               choices=ADMIN_STATES, default='enabled'),
        Option('--max-subcloud-rehoming', 'max-subcloud-rehoming',
               'Maximum number of subclouds rehomed at once in a migration.', type=int,
               default=10),
    ),
    update_options=(
        Option('--peer-group-name', 'peer-group-name', 'New name of the subcloud peer group.'),
        Option('--group-state', 'group-state', 'Whether the group is in use.',
               choices=ADMIN_STATES),
        Option('--max-subcloud-rehoming', 'max-subcloud-rehoming',
               'Maximum number of subclouds rehomed at once in a migration.', type=int),
    ),
    sublists=(SubList('list-subclouds', 'subclouds', 'subclouds', SUBCLOUD_DETAIL21,
                      'List the subclouds of a subcloud peer group.'),),
)

PEER_GROUP_STATUS = columns(*((key, key) for key in (
    'peer_group_id', 'peer_group_name', 'total_subclouds', 'complete', 'waiting_for_migrate',
    'rehoming', 'rehome_failed', 'managed', 'unmanaged')))

# ------------------------------------------------------------------ peer group associations

PEER_GROUP_ASSOCIATION = Resource(
    command='peer-group-association', noun='peer group association',
    path='peer-group-associations', list_key='peer_group_associations', ref_help='ID',
    list_columns=columns(
        ('id', 'id'), ('peer_group_id', 'peer-group-id'), ('system_peer_id', 'system-peer-id'),
        ('type', 'association-type'), ('sync_status', 'sync-status'),
        ('peer_group_priority', 'peer-group-priority')),
    show_columns=columns(
        ('id', 'id'), ('peer_group_id', 'peer-group-id'), ('system_peer_id', 'system-peer-id'),
        ('association_type', 'association-type'), ('sync_status', 'sync-status'),
        ('peer_group_priority', 'peer-group-priority'), ('sync_message', 'sync-message'),
        ('created_at', 'created-at'), ('updated_at', 'updated-at')),
    add_options=(
        Option('--peer-group-id', 'peer_group_id', 'ID of the subcloud peer group.',
               required=True),
        Option('--system-peer-id', 'system_peer_id', 'ID of the system peer.', required=True),
        Option('--peer-group-priority', 'peer_group_priority',
               'Priority of the peer group at the peer site.', required=True, type=int),
    ),
    update_options=(
        Option('--peer-group-priority', 'peer_group_priority',
               'New priority of the peer group at the peer site.', required=True, type=int),
    ),
)

# --------------------------------------------------------------------------------- alarms

ALARM_LIST_KEY = 'alarm_summary'


def _count(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return value  # the reference crashes here; showing what came is more use
    return '-' if number < 0 else number


ALARM_COLUMNS = ('NAME', 'CRITICAL_ALARMS', 'MAJOR_ALARMS', 'MINOR_ALARMS', 'WARNINGS',
                 'STATUS')
ALARM_KEYS = ('region_name', 'critical_alarms', 'major_alarms', 'minor_alarms', 'warnings',
              'cloud_status')


def alarm_row(doc):
    """One row of ``alarm summary``: a falsy name and a negative count print ``-``."""
    return (doc.get('region_name') or '-',
            *(_count(doc.get(key)) for key in ALARM_KEYS[1:5]),
            doc.get('cloud_status'))


GENERIC = (SUBCLOUD_GROUP, SYSTEM_PEER, SUBCLOUD_PEER_GROUP, PEER_GROUP_ASSOCIATION)
