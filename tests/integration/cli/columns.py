"""The column names of client-contract.md section 4 and the response key each one shows: what
every test compares the CLI's output with (the CLI's own unit tests check its descriptions
against the api-ref samples; these check the running command against the running server)."""

# subcloud list (basic)
SUBCLOUD_BASIC = {'id': 'id', 'name': 'name', 'management': 'management-state',
                  'availability': 'availability-status', 'deploy status': 'deploy-status',
                  'sync': 'sync_status', 'backup status': 'backup-status',
                  'prestage status': 'prestage-status'}
# detail21: list --detail (plus sync), list-subclouds, migrate, and the head of show
SUBCLOUD_DETAIL21 = {
    'id': 'id', 'name': 'name', 'description': 'description', 'location': 'location',
    'software_version': 'software-version', 'management': 'management-state',
    'availability': 'availability-status', 'deploy_status': 'deploy-status',
    'management_subnet': 'management-subnet', 'management_start_ip': 'management-start-ip',
    'management_end_ip': 'management-end-ip', 'management_gateway_ip': 'management-gateway-ip',
    'systemcontroller_gateway_ip': 'systemcontroller-gateway-ip', 'group_id': 'group_id',
    'peer_group_id': 'peer_group_id', 'created_at': 'created-at', 'updated_at': 'updated-at',
    'backup_status': 'backup-status', 'backup_datetime': 'backup-datetime',
    'prestage_status': 'prestage-status', 'prestage_versions': 'prestage-versions'}


def subcloud_list_detail():
    """subcloud list -d: detail21 with ``sync`` after ``deploy_status``."""
    names = list(SUBCLOUD_DETAIL21)
    names.insert(names.index('deploy_status') + 1, 'sync')
    return names


def subcloud_show(body, show=True):
    """The fields of subcloud show (``show``) or add/update/manage/unmanage for ``body`` (the
    API's answer), in order: detail21, one ``<endpoint>_sync_status`` per entry, then
    oam_floating_ip unless unavailable, deploy_config_sync_status unless unknown, and, for
    show only, region_name if set. {field: value}."""
    fields = {name: body.get(key) for name, key in SUBCLOUD_DETAIL21.items()}
    for entry in body.get('endpoint_sync_status') or []:
        fields['%s_sync_status' % entry['endpoint_type']] = entry['sync_status']
    if 'oam_floating_ip' in body and body['oam_floating_ip'] != 'unavailable':
        fields['oam_floating_ip'] = body['oam_floating_ip']
    if 'deploy_config_sync_status' in body and body['deploy_config_sync_status'] != 'unknown':
        fields['deploy_config_sync_status'] = body['deploy_config_sync_status']
    region = body.get('region_name') or body.get('region-name')
    if show and region:
        fields['region_name'] = region
    return fields


SUBCLOUD_GROUP_LIST = {'id': 'id', 'name': 'name', 'description': 'description'}
SUBCLOUD_GROUP_SHOW = {'id': 'id', 'name': 'name', 'description': 'description',
                       'update apply type': 'update_apply_type',
                       'max parallel subclouds': 'max_parallel_subclouds',
                       'created_at': 'created-at', 'updated_at': 'updated-at'}

SYSTEM_PEER_LIST = {'id': 'id', 'peer uuid': 'peer-uuid', 'peer name': 'peer-name',
                    'manager endpoint': 'manager-endpoint',
                    'controller gateway address': 'peer-controller-gateway-address'}
SYSTEM_PEER_SHOW = {
    'id': 'id', 'peer uuid': 'peer-uuid', 'peer name': 'peer-name',
    'manager endpoint': 'manager-endpoint', 'manager username': 'manager-username',
    'controller gateway address': 'peer-controller-gateway-address',
    'administrative state': 'administrative-state', 'heartbeat interval': 'heartbeat-interval',
    'heartbeat failure threshold': 'heartbeat-failure-threshold',
    'heartbeat failure policy': 'heartbeat-failure-policy',
    'heartbeat maintenance timeout': 'heartbeat-maintenance-timeout',
    'availability state': 'availability-state', 'created_at': 'created-at',
    'updated_at': 'updated-at'}

PEER_GROUP = {'id': 'id', 'peer_group_name': 'peer_group_name',
              'group_priority': 'group_priority', 'group_state': 'group_state',
              'system_leader_id': 'system_leader_id',
              'system_leader_name': 'system_leader_name',
              'max_subcloud_rehoming': 'max_subcloud_rehoming', 'created_at': 'created-at',
              'updated_at': 'updated-at'}
# system-peer list-subcloud-peer-groups
PEER_GROUP_OF_PEER = {name: key for name, key in PEER_GROUP.items()
                      if name not in ('created_at', 'updated_at')}
PEER_GROUP_STATUS = {name: name for name in (
    'peer_group_id', 'peer_group_name', 'total_subclouds', 'complete', 'waiting_for_migrate',
    'rehoming', 'rehome_failed', 'managed', 'unmanaged')}

ASSOCIATION_LIST = {'id': 'id', 'peer_group_id': 'peer-group-id',
                    'system_peer_id': 'system-peer-id', 'type': 'association-type',
                    'sync_status': 'sync-status', 'peer_group_priority': 'peer-group-priority'}
ASSOCIATION_SHOW = {'id': 'id', 'peer_group_id': 'peer-group-id',
                    'system_peer_id': 'system-peer-id',
                    'association_type': 'association-type', 'sync_status': 'sync-status',
                    'peer_group_priority': 'peer-group-priority',
                    'sync_message': 'sync-message', 'created_at': 'created-at',
                    'updated_at': 'updated-at'}

ALARMS = {'NAME': 'region_name', 'CRITICAL_ALARMS': 'critical_alarms',
          'MAJOR_ALARMS': 'major_alarms', 'MINOR_ALARMS': 'minor_alarms',
          'WARNINGS': 'warnings', 'STATUS': 'cloud_status'}


def shown(columns, body):
    """{column: the value of its key in ``body``} (what ``-f json`` of a show prints)."""
    return {name: body.get(key) for name, key in columns.items()}
