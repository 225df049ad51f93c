"""Response bodies: the exact key spelling of the reference API (spec/api.md section 5).

Timestamps are ``str(datetime)`` (``2023-08-21 09:24:07.394961``) or null. Nothing here returns a
secret: install data, rehome data and passwords have no key at all.
"""


def _ts(value):
    return str(value) if value is not None else None


def subcloud_group(group, subcloud_count=None):
    body = {
        'id': group.id,
        'name': group.name,
        'description': group.description,
        'update_apply_type': group.update_apply_type,
        'max_parallel_subclouds': group.max_parallel_subclouds,
        'created-at': _ts(group.created_at),
        'updated-at': _ts(group.updated_at),
    }
    if subcloud_count is not None:
        body['subcloud_count'] = subcloud_count
    return body


def subcloud(sc):
    """A subcloud row as list-subclouds and migrate return it (no endpoint_sync_status: trap T1)."""
    return {
        'id': sc.id,
        'name': sc.name,
        'description': sc.description,
        'location': sc.location,
        'software-version': sc.software_version,
        'management-state': sc.management_state,
        'availability-status': sc.availability_status,
        'deploy-status': sc.deploy_status,
        'backup-status': sc.backup_status,
        'backup-datetime': _ts(sc.backup_datetime),
        'error-description': sc.error_description or '',
        'region-name': sc.region_name,
        'management-subnet': sc.management_subnet,
        'management-start-ip': sc.management_start_ip,
        'management-end-ip': sc.management_end_ip,
        'management-gateway-ip': sc.management_gateway_ip,
        'openstack-installed': sc.openstack_installed,
        'prestage-status': sc.prestage_status,
        'prestage-versions': sc.prestage_versions,
        'systemcontroller-gateway-ip': sc.systemcontroller_gateway_ip,
        'created-at': _ts(sc.created_at),
        'updated-at': _ts(sc.updated_at),
        'group_id': sc.group_id,
        'peer_group_id': sc.peer_group_id,
    }
