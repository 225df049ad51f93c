"""JSON Schemas of /v1.0/subclouds: the add and update forms, the bootstrap values, the list query.

Field names are the CLI's (``bootstrap-address`` on add but ``bootstrap_address`` on update,
``management-state`` hyphenated), as the reference CLI sends. Multipart text fields are strings,
so flags are the strings ``"true"``/``"false"`` (JSON booleans are accepted too). What JSON Schema
cannot say (base64, IP addresses, address pools, host names) is checked by
``dcmanager.api.schemas.subcloud_values``.
"""

from dcmanager.api import schemas
from dcmanager.common import states

# Files of the add and update forms that are YAML documents.
YAML_FILES = ('bootstrap_values', 'install_values')

# Files of ``dcmanager subcloud add`` this site refuses: they drive a deployment phase it does not
# run (it enrolls subclouds that are already deployed). Refused rather than ignored, so that
# nobody believes their configuration was applied.
UNSUPPORTED_FILES = {
    'deploy_config': 'deploy_config is not supported: this site enrolls subclouds that are '
                     'already deployed and does not run their deployment playbook',
    'cloud_init_config': 'cloud_init_config is not supported: this site enrolls subclouds that '
                         'are already deployed and does not run cloud-init on them',
}

_TEXT = schemas.text()
# RFC 1123 host name, lower case (the reference's rename rule, applied on add too).
_LABEL = r'[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?'
HOST_NAME_PATTERN = r'%s(\.%s)*' % (_LABEL, _LABEL)
# A subcloud's name is also a host name (checked with its own messages by subcloud_values).
NAME = {'allOf': [schemas.NAME, {'pattern': '^%s$' % HOST_NAME_PATTERN}]}
_FLAG = {'enum': ['true', 'false', True, False]}
_PASSWORD = {'type': 'string', 'minLength': 1, 'maxLength': 4096}
_REF = schemas.REF
_STRING = {'type': 'string', 'maxLength': 255}
_MAPPING = {'type': 'object'}

CREATE = {
    'type': 'object',
    'properties': {
        'bootstrap-address': _STRING,
        'sysadmin_password': _PASSWORD,
        'bmc_password': _PASSWORD,
        'group_id': _REF,
        'description': _TEXT,
        'location': _TEXT,
        'release': {'type': 'string', 'pattern': r'^[0-9]{1,4}\.[0-9]{1,4}(\.[0-9]{1,4})?$'},
        'name': NAME,
        'migrate': _FLAG,
        'enroll': _FLAG,
        'secondary': _FLAG,
        'bootstrap_values': _MAPPING,
        'install_values': _MAPPING,
    },
    'required': ['bootstrap_values', 'bootstrap-address', 'sysadmin_password'],
    'additionalProperties': False,
}

# The region name the peer site gives its subcloud (kept by the copy): a Keystone region id.
REGION_NAME = {'type': 'string', 'pattern': r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$'}
# POST with secondary=true (the peer site, for its copy): no enrollment, so no sysadmin password
# is needed; the region is the primary's.
# ``leader_term``: the peer site's term of the group it syncs the copy into; one older than the
# copy's here is refused (its sender no longer leads the group).
LEADER_TERM = schemas.integer(1, 2 ** 31 - 1)
CREATE_SECONDARY = dict(
    CREATE, properties=dict(CREATE['properties'], region_name=REGION_NAME, peer_group=_REF,
                            leader_term=LEADER_TERM),
    required=['bootstrap_values', 'bootstrap-address', 'region_name'])

# PATCH /v1.0/subclouds/<ref>/redeploy (``dcmanager subcloud redeploy``): all optional. The
# deploy_config file is refused as on add (UNSUPPORTED_FILES).
REDEPLOY = {
    'type': 'object',
    'properties': {
        'bootstrap-address': _STRING,
        'sysadmin_password': _PASSWORD,
        'bmc_password': _PASSWORD,
        'description': _TEXT,
        'location': _TEXT,
        'release': CREATE['properties']['release'],
        'bootstrap_values': _MAPPING,
        'install_values': _MAPPING,
    },
    'additionalProperties': False,
}

BOOTSTRAP = {
    'type': 'object',
    'properties': {
        'name': NAME,
        'system_mode': {'enum': ['simplex', 'duplex', 'duplex-direct']},
        'systemcontroller_gateway_address': _STRING,
        'external_oam_subnet': _STRING,
        'external_oam_gateway_address': _STRING,
        'external_oam_floating_address': _STRING,
        'management_subnet': _STRING,
        'management_start_address': _STRING,
        'management_end_address': _STRING,
        'management_gateway_address': _STRING,
        'admin_subnet': _STRING,
        'admin_start_address': _STRING,
        'admin_end_address': _STRING,
        'admin_gateway_address': _STRING,
        'admin_password': {'type': 'string', 'minLength': 1, 'maxLength': 4096},
        'description': _TEXT,
        'location': _TEXT,
    },
    'required': ['name', 'system_mode', 'systemcontroller_gateway_address',
                 'external_oam_subnet', 'external_oam_gateway_address',
                 'external_oam_floating_address'],
}

# One of these two networks (all four keys) is required; admin_* wins when any admin_ key is set.
MANAGEMENT_KEYS = ('management_subnet', 'management_start_address', 'management_end_address',
                   'management_gateway_address')
ADMIN_KEYS = ('admin_subnet', 'admin_start_address', 'admin_end_address',
              'admin_gateway_address')

# The management network fields of an update: all four together or none.
NETWORK_FIELDS = ('management_subnet', 'management_start_ip', 'management_end_ip',
                  'management_gateway_ip')

UPDATE = {
    'type': 'object',
    'properties': {
        'name': NAME,
        'description': _TEXT,
        'location': _TEXT,
        'group_id': _REF,
        'management_subnet': _STRING,
        'management_start_ip': _STRING,
        'management_end_ip': _STRING,
        'management_gateway_ip': _STRING,
        'bootstrap_address': _STRING,
        'bootstrap_values': _MAPPING,
        'management-state': {'enum': list(states.MANAGEMENT_STATES)},
        'force': _FLAG,
        'migrate': _FLAG,
        'peer_group': _REF,
        'sysadmin_password': _PASSWORD,
        'bmc_password': _PASSWORD,
        'install_values': _MAPPING,
    },
    'minProperties': 1,
    'additionalProperties': False,
}
# PATCH of a secondary copy (the peer site): also the fields its sync sends with the bootstrap
# values (the region, which cannot change, and the release).
UPDATE_SECONDARY = dict(UPDATE, properties=dict(UPDATE['properties'], region_name=REGION_NAME,
                                                release=CREATE['properties']['release'],
                                                leader_term=LEADER_TERM))

_DECODE = 'Failed to decode subcloud %s, verify the password is base64 encoded'

MESSAGES = {
    'bootstrap-address': 'bootstrap-address invalid: not an IP address',
    'bootstrap_address': 'bootstrap_address invalid: not an IP address',
    'sysadmin_password': _DECODE % 'sysadmin_password',
    'bmc_password': _DECODE % 'bmc_password',
    'group_id': 'Invalid group_id',
    'description': 'Invalid description: a string of at most 255 characters',
    'location': 'Invalid location: a string of at most 255 characters',
    'release': 'Invalid release: <major>.<minor>, for example 24.09',
    'leader_term': 'Invalid leader_term: an integer from 1',
    'name': 'name invalid',
    'migrate': 'Invalid migrate value: "true" or "false"',
    'enroll': 'Invalid enroll value: "true" or "false"',
    'secondary': 'Invalid secondary value: "true" or "false"',
    'region_name': 'Invalid region_name: letters, digits, "-", "_" and ".", at most 255',
    'force': 'Invalid force value',
    'management-state': 'Invalid management-state',
    'peer_group': 'Invalid peer group',
    'bootstrap_values': 'bootstrap_values must be a YAML mapping',
    'install_values': 'install_values must be a YAML mapping',
    'system_mode': 'system_mode invalid: simplex, duplex or duplex-direct',
    'admin_password': 'admin_password invalid: a non-empty string (quote it in the YAML file)',
}
UPDATE_MESSAGES = dict(MESSAGES, group_id='Invalid group')
for _key in BOOTSTRAP['properties']:
    MESSAGES.setdefault(_key, '%s invalid' % _key)
for _key in NETWORK_FIELDS:
    UPDATE_MESSAGES.setdefault(_key, '%s invalid' % _key)

# GET /v1.0/subclouds query parameters (all optional; none keeps the reference's list).
LIST_QUERY = {
    'type': 'object',
    'properties': {
        'limit': schemas.integer(1),
        'marker': schemas.integer(0),
        'availability': {'enum': list(states.AVAILABILITY_STATES)},
        'management': {'enum': list(states.MANAGEMENT_STATES)},
        'deploy_status': {'enum': sorted(states.DEPLOY_STATES)},
        'group_id': schemas.ID,
        'peer_group_id': schemas.ID,
    },
    'additionalProperties': False,
}
LIST_MESSAGES = {
    'limit': 'Invalid limit: a positive integer',
    'marker': 'Invalid marker: the id of the last subcloud of the previous page',
    'availability': 'Invalid availability: online or offline',
    'management': 'Invalid management: managed or unmanaged',
    'deploy_status': 'Invalid deploy_status',
    'group_id': 'Invalid group_id: a subcloud group id',
    'peer_group_id': 'Invalid peer_group_id: a subcloud peer group id',
}
# query parameter -> list filter column
LIST_FILTERS = {
    'availability': 'availability_status',
    'management': 'management_state',
    'deploy_status': 'deploy_status',
    'group_id': 'group_id',
    'peer_group_id': 'peer_group_id',
}
