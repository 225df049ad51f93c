"""The JSON text of one subcloud as ``GET /v1.0/subclouds`` lists it (and show returns it).

The database keeps this text for every subcloud, rendered when the subcloud or its endpoint
statuses change (``dcmanager.db.sqlalchemy.list_rows``), so that a list of thousands of
subclouds is a concatenation of stored texts instead of thousands of rows encoded anew at each
request. It must be, byte for byte, what ``json.dumps`` writes of the row the API view builds
(``dcmanager.api.views.subcloud_row``): the reference's keys in the reference's order, timestamps
as ``str(datetime)``, ``ensure_ascii`` escaping and ``", "``/``": "`` separators, so that
``'{"subclouds": [' + ', '.join(texts) + ']}'`` is what ``json.dumps`` of the whole list writes.
A functional test compares the two.
"""

import json

# (response key, column/field name) of a subcloud, in the reference's order (what show returns).
# Never a secret: data_install, rehome_data and the secrets column have no key.
SUBCLOUD_KEYS = (
    ('id', 'id'),
    ('name', 'name'),
    ('description', 'description'),
    ('location', 'location'),
    ('software-version', 'software_version'),
    ('management-state', 'management_state'),
    ('availability-status', 'availability_status'),
    ('deploy-status', 'deploy_status'),
    ('backup-status', 'backup_status'),
    ('backup-datetime', 'backup_datetime'),
    ('error-description', 'error_description'),
    ('region-name', 'region_name'),
    ('management-subnet', 'management_subnet'),
    ('management-start-ip', 'management_start_ip'),
    ('management-end-ip', 'management_end_ip'),
    ('management-gateway-ip', 'management_gateway_ip'),
    ('openstack-installed', 'openstack_installed'),
    ('prestage-status', 'prestage_status'),
    ('prestage-versions', 'prestage_versions'),
    ('systemcontroller-gateway-ip', 'systemcontroller_gateway_ip'),
    ('created-at', 'created_at'),
    ('updated-at', 'updated_at'),
    ('group_id', 'group_id'),
    ('peer_group_id', 'peer_group_id'),
)
# A list row: the subcloud's keys, then its aggregated sync status.
KEYS = SUBCLOUD_KEYS + (('sync_status', 'sync_status'),)
# The subcloud columns a list row is made of (what the database's triggers watch).
COLUMNS = tuple(column for _key, column in KEYS)
_TIMESTAMPS = frozenset(('backup_datetime', 'created_at', 'updated_at'))


def timestamp_text(value):
    """``str(datetime)`` of a timestamp as the driver returns it: a datetime, or SQLite's
    stored text (always with microseconds, which ``str`` leaves out when they are 0)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[:-7] if value.endswith('.000000') else value
    return str(value)


def row_text(row, statuses):
    """The JSON text of the list row of ``row`` (a mapping of ``COLUMNS`` to the driver's
    values) with ``statuses``, its ((endpoint_type, ...), (sync_status, ...)) by endpoint
    type."""
    body = {}
    for key, column in KEYS:
        value = row[column]
        if column in _TIMESTAMPS:
            value = timestamp_text(value)
        elif column == 'openstack_installed':
            value = bool(value)
        elif column == 'error_description':
            value = value or ''
        body[key] = value
    types, syncs = statuses
    body['endpoint_sync_status'] = [{'endpoint_type': endpoint, 'sync_status': status}
                                    for endpoint, status in zip(types, syncs, strict=True)]
    return json.dumps(body)


# The keys of a row of ``GET /v1.0/alarms``: ``region_name`` holds the subcloud's name (a
# reference quirk), then the summary's columns of the same names.
ALARM_KEYS = ('region_name', 'uuid', 'critical_alarms', 'major_alarms', 'minor_alarms',
              'warnings', 'cloud_status')


def alarm_text(values):
    """The JSON text of an alarm summary's row from its ``values``, one per ``ALARM_KEYS``."""
    return json.dumps(dict(zip(ALARM_KEYS, values, strict=True)))


def list_body(collection, texts, extra=None):
    """``{"<collection>": [<texts>], **extra}`` as ``json.dumps`` writes it (ASCII bytes), from
    row texts (ASCII bytes). One copy of the rows' bytes: the joined rows sit between a head
    and a tail, chunks of one answer."""
    head = ('{%s: [' % json.dumps(collection)).encode('ascii')
    tail = ']' + (', ' + json.dumps(extra)[1:-1] if extra else '') + '}'
    return [head, b', '.join(texts), tail.encode('ascii')]
