"""Response bodies: the exact key spelling of the reference API (api-ref/source).

Timestamps are ``str(datetime)`` (``2023-08-21 09:24:07.394961``) or null. Nothing here returns a
secret: install data, rehome data and passwords have no key at all.
"""

import itertools
import json

from dcmanager.common import subcloud_json
from dcmanager.objects import alarm_summary as alarm_summary_obj
from dcmanager.objects import subcloud as subcloud_obj

# What json.dumps (ensure_ascii) writes for a str: quoted, escaped, ASCII only.
_ascii = json.encoder.encode_basestring_ascii


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


# (response key, field name) of a system peer, in the reference's order. Never its password.
SYSTEM_PEER_KEYS = (
    ('id', 'id'),
    ('peer-uuid', 'peer_uuid'),
    ('peer-name', 'peer_name'),
    ('manager-endpoint', 'manager_endpoint'),
    ('manager-username', 'manager_username'),
    ('peer-controller-gateway-address', 'peer_controller_gateway_ip'),
    ('administrative-state', 'administrative_state'),
    ('heartbeat-interval', 'heartbeat_interval'),
    ('heartbeat-failure-threshold', 'heartbeat_failure_threshold'),
    ('heartbeat-failure-policy', 'heartbeat_failure_policy'),
    ('heartbeat-maintenance-timeout', 'heartbeat_maintenance_timeout'),
    ('availability-state', 'availability_state'),
)


def system_peer(peer):
    body = {key: getattr(peer, name) for key, name in SYSTEM_PEER_KEYS}
    body['created-at'] = _ts(peer.created_at)
    body['updated-at'] = _ts(peer.updated_at)
    return body


# (response key, column name) of a subcloud peer group (underscore keys, as the reference).
PEER_GROUP_KEYS = ('id', 'peer_group_name', 'group_priority', 'group_state',
                   'system_leader_id', 'system_leader_name', 'max_subcloud_rehoming',
                   'migration_status')


def subcloud_peer_group(group):
    body = {key: getattr(group, key) for key in PEER_GROUP_KEYS}
    body['peer_group_uuid'] = group.peer_group_uuid
    body['leader_term'] = group.leader_term
    body['created-at'] = _ts(group.created_at)
    body['updated-at'] = _ts(group.updated_at)
    return body


# (response key, field name) of a peer group association (hyphenated, as the reference); the
# list rows leave sync-message out.
ASSOCIATION_KEYS = (
    ('id', 'id'),
    ('peer-group-id', 'peer_group_id'),
    ('system-peer-id', 'system_peer_id'),
    ('peer-group-priority', 'peer_group_priority'),
    ('association-type', 'association_type'),
    ('sync-status', 'sync_status'),
)


SITE_ALARM_KEYS = ('alarm_id', 'entity', 'severity', 'reason', 'repair')


def site_alarm(alarm):
    body = {key: getattr(alarm, key) for key in SITE_ALARM_KEYS}
    body['raised-at'] = _ts(alarm.created_at)
    body['updated-at'] = _ts(alarm.updated_at)
    return body


def association(assoc, with_message=True):
    body = {key: getattr(assoc, name) for key, name in ASSOCIATION_KEYS}
    if with_message:
        body['sync-message'] = assoc.sync_message
    body['created-at'] = _ts(assoc.created_at)
    body['updated-at'] = _ts(assoc.updated_at)
    return body


SUBCLOUD_KEYS = subcloud_json.SUBCLOUD_KEYS
_TIMESTAMPS = frozenset(('backup_datetime', 'created_at', 'updated_at'))
_STAMPED = tuple((key, name) for key, name in SUBCLOUD_KEYS if name in _TIMESTAMPS)

# A list row (objects.Subcloud.list_rows) is a tuple of LIST_COLUMNS holding the driver's values.
_KEY_OF = dict(((name, key) for key, name in SUBCLOUD_KEYS), sync_status='sync_status')
_ROW_KEYS = tuple(_KEY_OF[name] for name in subcloud_obj.Subcloud.LIST_COLUMNS)
_INTEGERS = frozenset(('id', 'group_id', 'peer_group_id'))
_BOOLEANS = frozenset(('openstack_installed',))


def _raw_timestamp(value):
    """``str(datetime)`` of a timestamp as the driver gives it: a datetime, or SQLite's stored
    text (always with microseconds, which ``str`` leaves out when they are 0)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[:-7] if value.endswith('.000000') else value
    return str(value)


# What the detail view adds; this site makes no live call to the subcloud to fill them.
OAM_FLOATING_IP_UNAVAILABLE = 'unavailable'
DEPLOY_CONFIG_SYNC_UNKNOWN = 'unknown'


def subcloud(sc):
    """A subcloud as the group's list-subclouds and migrate return it (no
    endpoint_sync_status: the CLI's tables of those break on it)."""
    body = {key: getattr(sc, name) for key, name in SUBCLOUD_KEYS}
    for key, _name in _STAMPED:
        body[key] = _ts(body[key])
    # The CLI prints it raw; null would crash ``subcloud errors``.
    body['error-description'] = sc.error_description or ''
    return body


def _endpoint_sync_status(statuses):
    types, syncs = statuses
    return [{'endpoint_type': endpoint, 'sync_status': status}
            for endpoint, status in zip(types, syncs, strict=True)]


def subcloud_row(row, statuses=((), ())):
    """A row of ``objects.Subcloud.list_rows_with_statuses`` and its statuses as
    ``GET /v1.0/subclouds`` lists it: the subcloud keys, the aggregate ``sync_status`` and
    ``endpoint_sync_status``, as the reference's list."""
    body = dict(zip(_ROW_KEYS, row, strict=True))
    for key, _name in _STAMPED:
        body[key] = _raw_timestamp(body[key])
    body['openstack-installed'] = bool(body['openstack-installed'])
    body['error-description'] = body['error-description'] or ''
    body['endpoint_sync_status'] = _endpoint_sync_status(statuses)
    return body


_NULL = 'null'
_BOOL_TEXT = {True: 'true', False: 'false'}  # 1 and 0 (SQLite) are equal keys


def _texts(encode, values):
    """The JSON texts of ``values``: ``encode(v)``, ``null`` for None; at C speed (map) when no
    value is None."""
    if None not in values:
        return map(encode, values)
    if values.count(None) == len(values):
        return [_NULL] * len(values)
    return [_NULL if v is None else encode(v) for v in values]


def _timestamp_text(value):
    return _ascii(_raw_timestamp(value))


def _timestamp_texts(values):
    if None not in values:
        try:
            if '.000000' not in ''.join(values):
                # SQLite's text, every value with its microseconds: already str(datetime).
                return map(_ascii, values)
        except TypeError:
            # datetimes (PostgreSQL, MySQL drivers)
            return map(_ascii, map(str, values))
    return _texts(_timestamp_text, values)


def _column_texts(name, values):
    if name in _INTEGERS:
        return _texts(str, values)
    if name in _BOOLEANS:
        return map(_BOOL_TEXT.__getitem__, map(bool, values))
    if name in _TIMESTAMPS:
        return _timestamp_texts(values)
    if name == 'error_description':
        return map(_ascii, [v or '' for v in values] if None in values else values)
    return _texts(_ascii, values)


def list_json(collection, keys, column_texts, rows, row_dict, more_columns=(), **extra):
    """The JSON text of ``{collection: [row_dict(row, *more), ...], **extra}``, byte for byte
    what ``json.dumps`` writes, made column by column: each key is encoded once, the values
    mostly at C speed, and one join writes the whole list (about half the time of
    ``json.dumps`` of the row dicts, for a list of thousands of rows).

    ``keys``: the keys of a row, one per column of ``rows`` and then one per sequence of
    ``more_columns`` (values of further columns, one per row, e.g. read by another query);
    ``column_texts(index, values)``: the JSON texts of the values of column ``index`` (TypeError
    for a value it cannot write, and then the whole list goes through ``json.dumps`` of
    ``row_dict(row, *more)``, ``more`` being the row's values of ``more_columns``).
    """
    text = '{%s: []' % _ascii(collection)
    if rows:
        try:
            pieces = []
            # Row by row, the pieces before the values: ', {"id": ', ', "name": ', ... (then
            # a closing '}').
            before = (', {%s: ' % _ascii(keys[0]),) + tuple(', %s: ' % _ascii(key)
                                                             for key in keys[1:])
            columns = list(zip(*rows, strict=True)) + list(more_columns)
            for index, (piece, values) in enumerate(zip(before, columns, strict=True)):
                pieces.append(itertools.repeat(piece))
                pieces.append(column_texts(index, values))
            pieces.append(itertools.repeat('}'))
            # Every row starts with ', {"<first key>": ': drop the first separator.
            body = ''.join(itertools.chain.from_iterable(zip(*pieces, strict=False)))
            text = '{%s: [%s]' % (_ascii(collection), body[2:])
        except TypeError:
            # A value of an unexpected type: let the general encoder deal with it.
            text = json.dumps({collection: [row_dict(*values) for values
                                            in zip(rows, *more_columns, strict=True)]})[:-1]
    if extra:
        text += ', ' + json.dumps(extra)[1:-1]
    return text + '}'


def _statuses_texts(statuses):
    """The JSON texts of the ``endpoint_sync_status`` lists of ``statuses`` (see subcloud_row):
    each distinct list is written once (a fleet has few of them: all in-sync, all unknown...)."""
    known = {entry: json.dumps(_endpoint_sync_status(entry)) for entry in set(statuses)}
    return map(known.__getitem__, statuses)


_LIST_KEYS = _ROW_KEYS + ('endpoint_sync_status',)
_STATUSES_INDEX = len(_ROW_KEYS)


def subcloud_rows_json(rows, statuses, **extra):
    """The JSON text of ``{"subclouds": [subcloud_row(row, row_statuses), ...], **extra}`` for
    the rows and statuses of ``objects.Subcloud.list_rows_with_statuses`` (see list_json)."""
    columns = subcloud_obj.Subcloud.LIST_COLUMNS

    def column_texts(index, values):
        if index == _STATUSES_INDEX:
            return _statuses_texts(values)
        return _column_texts(columns[index], values)

    return list_json('subclouds', _LIST_KEYS, column_texts, rows, subcloud_row,
                     more_columns=(statuses,), **extra)


# ---------------------------------------------------------------- alarm summaries

# The keys of a row of ``alarm_summary``, in the reference's order, one per column of
# ``AlarmSummary.LIST_COLUMNS``. ``region_name`` holds the subcloud's name (a reference quirk the
# ``dcmanager alarm summary`` command prints as NAME).
_ALARM_KEYS = tuple({'subcloud_name': 'region_name'}.get(name, name)
                    for name in alarm_summary_obj.AlarmSummary.LIST_COLUMNS)
_ALARM_INTEGERS = frozenset(index for index, name in enumerate(_ALARM_KEYS)
                            if name in alarm_summary_obj.COUNTS)


def _alarm_column_texts(index, values):
    # int.__repr__ and the C string encoder both refuse None (TypeError), unlike str().
    return map(int.__repr__ if index in _ALARM_INTEGERS else _ascii, values)


def alarm_row(row):
    """One row of ``alarm_summary`` from a row of ``AlarmSummary.list_rows``."""
    return dict(zip(_ALARM_KEYS, row, strict=True))


def alarm_rows_json(rows):
    """The JSON text of ``{"alarm_summary": [alarm_row(row), ...]}`` (see list_json)."""
    return list_json('alarm_summary', _ALARM_KEYS, _alarm_column_texts, rows, alarm_row)


def subcloud_show(sc, endpoint_statuses, detail=False):
    """One subcloud as show, add and update return it: the subcloud keys, the aggregate
    ``sync_status`` and ``endpoint_sync_status`` ([{"endpoint_type", "sync_status"}]); with
    ``detail`` also the three keys ``show --detail`` reads."""
    body = subcloud(sc)
    body['sync_status'] = sc.sync_status
    body['endpoint_sync_status'] = list(endpoint_statuses)
    if detail:
        body['oam_floating_ip'] = OAM_FLOATING_IP_UNAVAILABLE
        body['deploy_config_sync_status'] = DEPLOY_CONFIG_SYNC_UNKNOWN
        body['region_name'] = sc.region_name
    return body
