"""The add and update requests of a subcloud, checked and turned into what the manager is given.

JSON Schema (``dcmanager.api.schemas.subclouds``) checks the shape; this module checks what it
cannot (base64 passwords, host names, IP addresses and pools) and splits a request into object
fields, secrets (passwords, only ever handed on to be encrypted) and the saved bootstrap payload
(the bootstrap values minus every secret). Nothing here reads the database: the rules that depend
on other subclouds or on the subcloud's state belong to the manager.
"""

import base64
import binascii
import dataclasses
import re

from dcmanager.api import schemas
from dcmanager.api.schemas import subclouds as schema
from dcmanager.common import exception, integers, network

_HOST_NAME = re.compile(schema.HOST_NAME_PATTERN)
# The system controller's regions, and the actions below a subcloud (/v1.0/subclouds/detail and
# /v1.0/subclouds/redeploy are no subcloud's path).
_RESERVED_NAMES = ('systemcontroller', 'regionone', 'detail', 'redeploy')
_NAME_RULE = ('a lower-case RFC 1123 host name (letters, digits, "-" and "."), '
              'at most 255 characters')

# A key naming a secret, at any depth of the bootstrap values (never saved in clear).
_SECRET_KEY = re.compile(r'(password|passwd|_pass$|secret|token)', re.IGNORECASE)


@dataclasses.dataclass
class Request:
    """A checked request: ``fields`` of the Subcloud object, ``secrets`` (plain, to be encrypted
    at once), ``group_ref`` as typed (or None), ``force`` (update only), ``leader_term`` (the
    peer site's, of a secondary copy's group; or None)."""

    fields: dict
    secrets: dict
    group_ref: object = None
    force: bool = False
    leader_term: int = None


def _flag(value):
    return value is True or value == 'true'


def check_name(name, field='name'):
    """``name`` if it is a valid subcloud name, else InvalidInput."""
    if not isinstance(name, str) or not name:
        raise exception.InvalidInput(reason='%s required' % field)
    if schemas.has_surrogates(name):
        # Before any message quotes the name: it could not be encoded in the answer.
        raise exception.InvalidInput(reason='%s invalid: %s' % (field, schemas.PRINTABLE))
    if integers.ref_id(name) is not None:
        raise exception.InvalidInput(reason='%s must contain alphabetic characters' % field)
    if len(name) > 255:
        raise exception.InvalidInput(reason='%s invalid: longer than 255 characters' % field)
    if not _HOST_NAME.fullmatch(name):
        raise exception.InvalidInput(reason='%s invalid: %s is not %s' % (field, name,
                                                                        _NAME_RULE))
    if name in _RESERVED_NAMES:
        raise exception.InvalidInput(reason='%s invalid: %s is reserved' % (field, name))
    return name


def decode_password(value, field):
    """The clear text of the base64 ``value``; the reference's message if it does not decode."""
    try:
        text = base64.b64decode(value.strip(), validate=True).decode('utf-8')
    except (binascii.Error, ValueError, AttributeError):
        raise exception.InvalidInput(reason=schema.MESSAGES[field]) from None
    if not text:
        raise exception.InvalidInput(reason=schema.MESSAGES[field])
    return text


def sanitize(value):
    """``value`` without any secret-named key, at any depth."""
    if isinstance(value, dict):
        return {k: sanitize(v) for k, v in value.items()
                if not (isinstance(k, str) and _SECRET_KEY.search(k))}
    if isinstance(value, list):
        return [sanitize(v) for v in value]
    return value


def _primary(value):
    """The primary-family item of a dual-stack ``a,b`` value."""
    return value.split(',')[0].strip()


def _required(values, keys):
    for key in keys:
        if values.get(key) in (None, ''):
            raise exception.InvalidInput(reason='%s required' % key)


def bootstrap(values):
    """Check bootstrap values; returns (fields, admin_password, saved payload)."""
    # The name first: its own messages say what is wrong (the schema's would only say invalid).
    check_name(values.get('name'))
    values = schemas.validate(schema.BOOTSTRAP, values, schema.MESSAGES)
    admin = any(key in values for key in schema.ADMIN_KEYS)
    _required(values, schema.ADMIN_KEYS if admin else schema.MANAGEMENT_KEYS)
    if admin and 'management_gateway_address' in values:
        raise exception.InvalidInput(reason='management_gateway_address and '
                                            'admin_gateway_address cannot both be given')
    _required(values, ('admin_password',))
    mode = values['system_mode']
    gateway = network.address(_primary(values['systemcontroller_gateway_address']),
                              'systemcontroller_gateway_address')
    oam = network.subnet(_primary(values['external_oam_subnet']), 'external_oam_subnet')
    network.in_subnet(_primary(values['external_oam_gateway_address']), oam,
                      'external_oam_gateway_address')
    network.in_subnet(_primary(values['external_oam_floating_address']), oam,
                      'external_oam_floating_address')
    keys = schema.ADMIN_KEYS if admin else schema.MANAGEMENT_KEYS
    subnet, start, end, gw = network.pool({key: _primary(values[key]) for key in keys}, keys,
                                          mode)
    fields = {
        'name': values['name'],
        'management_subnet': subnet,
        'management_start_ip': start,
        'management_end_ip': end,
        'management_gateway_ip': gw,
        'systemcontroller_gateway_ip': str(gateway),
        'external_oam_subnet_ip_family': str(oam.version),
    }
    return fields, values['admin_password'], sanitize(values)


def _reject_unsupported(form):
    for name, message in schema.UNSUPPORTED_FILES.items():
        if name in form:
            raise exception.InvalidInput(reason=message)


def create_request(form):
    """The checked ``POST /v1.0/subclouds`` form (multipart or JSON)."""
    _reject_unsupported(form)
    form = schemas.validate(schema.CREATE, form, schema.MESSAGES)
    if _flag(form.get('migrate')):
        if _flag(form.get('enroll')):
            raise exception.InvalidInput(reason='migrate and enroll cannot be used together')
        raise exception.InvalidInput(reason='Invalid option: migrate (adding a subcloud by '
                                            'migrating it from another site is not supported '
                                            'yet)')
    address = str(network.address(form['bootstrap-address'], 'bootstrap-address'))
    secrets = {'sysadmin_password': decode_password(form['sysadmin_password'],
                                                    'sysadmin_password')}
    if 'install_values' in form and 'bmc_password' not in form:
        raise exception.InvalidInput(reason='bmc_password required')
    if 'bmc_password' in form:
        secrets['bmc_password'] = decode_password(form['bmc_password'], 'bmc_password')
    fields, secrets['admin_password'] = _added(form, address)
    return Request(fields=fields, secrets=secrets, group_ref=form.get('group_id'))


def _added(form, address):
    """(fields, admin password) of an add's bootstrap values, name, description, location and
    release (the same for an enrolled subcloud and a secondary copy)."""
    fields, admin_password, payload = bootstrap(form['bootstrap_values'])
    if form.get('name') not in (None, fields['name']):
        raise exception.InvalidInput(reason='name %s does not match the name %s of the '
                                            'bootstrap values' % (form['name'], fields['name']))
    for key in ('description', 'location'):
        value = form.get(key, payload.get(key))
        if value is not None:
            fields[key] = value
    if 'release' in form:
        fields['software_version'] = form['release']
    fields.update(bootstrap_address=address, saved_payload=payload)
    return fields, admin_password


# The reference's region names of a system controller (never a subcloud's).
_RESERVED_REGIONS = ('systemcontroller', 'regionone')


def _region_name(form):
    region = form['region_name']
    if region.lower() in _RESERVED_REGIONS:
        raise exception.InvalidInput(reason='Invalid region_name: %s is the system '
                                            'controller\'s' % region)
    return region


def secondary_create_request(form):
    """The checked ``POST /v1.0/subclouds`` form with ``secondary=true``: the peer site's copy
    of a subcloud it leads, with the region the peer site gave it. Nothing is enrolled, so no
    sysadmin password is needed (one that is given is kept, encrypted)."""
    _reject_unsupported(form)
    form = schemas.validate(schema.CREATE_SECONDARY, form, schema.MESSAGES)
    for option in ('migrate', 'enroll'):
        if _flag(form.get(option)):
            raise exception.InvalidInput(reason='secondary and %s cannot be used together'
                                         % option)
    address = str(network.address(form['bootstrap-address'], 'bootstrap-address'))
    fields, admin_password = _added(form, address)
    secrets = {'admin_password': admin_password}
    for key in ('sysadmin_password', 'bmc_password'):
        if key in form:
            secrets[key] = decode_password(form[key], key)
    fields['region_name'] = _region_name(form)
    if 'peer_group' in form:
        # The copy of the group it is a member of, added with it: the controller resolves it.
        fields['peer_group'] = str(form['peer_group'])
    return Request(fields=fields, secrets=secrets, group_ref=form.get('group_id'),
                   leader_term=form.get('leader_term'))


def _update_network(form, system_mode):
    given = [key for key in schema.NETWORK_FIELDS if key in form]
    if not given:
        return {}
    if len(given) != len(schema.NETWORK_FIELDS):
        raise exception.InvalidInput(reason='%s must be given together'
                                     % ', '.join(schema.NETWORK_FIELDS))
    subnet, start, end, gw = network.pool(form, schema.NETWORK_FIELDS, system_mode)
    return {'management_subnet': subnet, 'management_start_ip': start,
            'management_end_ip': end, 'management_gateway_ip': gw}


def _update_management(form):
    state = form.get('management-state')
    force = _flag(form.get('force'))
    if force and state != 'managed':
        raise exception.InvalidInput(reason='Invalid option: force')
    if _flag(form.get('migrate')):
        raise exception.InvalidInput(reason='Invalid option: migrate (there is no subcloud peer '
                                            'group to migrate to yet)')
    return force


def update_request(form, current_name, system_mode, secondary_region=None):
    """The checked ``PATCH /v1.0/subclouds/<ref>`` form of the subcloud named ``current_name``;
    ``secondary_region``: the region of the secondary copy the peer site is changing (its form
    may also carry the region, unchanged, and the release)."""
    if 'name' in form:
        check_name(form['name'])
    fields, secrets = {}, {}
    if secondary_region is None:
        form = schemas.validate(schema.UPDATE, form, schema.UPDATE_MESSAGES)
    else:
        form = schemas.validate(schema.UPDATE_SECONDARY, form, schema.UPDATE_MESSAGES)
        if form.get('region_name', secondary_region) != secondary_region:
            raise exception.InvalidInput(reason='region_name of a subcloud does not change (it '
                                                'is %s)' % secondary_region)
        form.pop('region_name', None)
        if 'release' in form:
            fields['software_version'] = form.pop('release')
    force = _update_management(form)
    if 'management-state' in form:
        fields['management_state'] = form['management-state']
    if 'name' in form:
        fields['name'] = form['name']
    for key in ('description', 'location'):
        if key in form:
            fields[key] = form[key]
    if 'peer_group' in form:
        # A peer group's id or name, or "none": the controller resolves it.
        fields['peer_group'] = str(form['peer_group'])
    fields.update(_update_network(form, system_mode))
    if 'bootstrap_address' in form:
        fields['bootstrap_address'] = str(network.address(form['bootstrap_address'],
                                                          'bootstrap_address'))
    if 'bootstrap_values' in form:
        values, secrets['admin_password'], payload = bootstrap(form['bootstrap_values'])
        name = fields.get('name', current_name)
        if values['name'] != name:
            raise exception.InvalidInput(reason='the name %s of the bootstrap values is not the '
                                                'subcloud\'s name %s' % (values['name'], name))
        fields['systemcontroller_gateway_ip'] = values['systemcontroller_gateway_ip']
        fields['saved_payload'] = payload
    for key in ('sysadmin_password', 'bmc_password'):
        if key in form:
            secrets[key] = decode_password(form[key], key)
    return Request(fields=fields, secrets=secrets, group_ref=form.get('group_id'), force=force,
                   leader_term=form.get('leader_term'))


def _redeploy_address(form):
    """The new bootstrap address: the ``bootstrap-address`` field (add's name) or the install
    values' ``bootstrap_address`` (where the reference takes it from); None if neither."""
    address = None
    if 'bootstrap-address' in form:
        address = str(network.address(form['bootstrap-address'], 'bootstrap-address'))
    install = form.get('install_values') or {}
    if 'bootstrap_address' in install:
        from_install = str(network.address(str(install['bootstrap_address']),
                                           'install_values bootstrap_address'))
        if address not in (None, from_install):
            raise exception.InvalidInput(
                reason='bootstrap-address %s and the bootstrap_address %s of the install values '
                       'differ' % (address, from_install))
        address = from_install
    return address


def redeploy_request(form, current_name):
    """The checked ``PATCH /v1.0/subclouds/<ref>/redeploy`` form of the subcloud named
    ``current_name`` (``{}``: run the enrollment again with what is stored)."""
    _reject_unsupported(form)
    form = schemas.validate(schema.REDEPLOY, form, schema.MESSAGES)
    fields, secrets = {}, {}
    if 'install_values' in form and 'bmc_password' not in form:
        raise exception.InvalidInput(reason='bmc_password required')
    if 'bootstrap_values' in form:
        values, secrets['admin_password'], payload = bootstrap(form['bootstrap_values'])
        if values.pop('name') != current_name:
            raise exception.InvalidInput(reason='the name %s of the bootstrap values is not the '
                                                'subcloud\'s name %s'
                                         % (form['bootstrap_values']['name'], current_name))
        fields.update(values)
        fields['saved_payload'] = payload
    for key in ('description', 'location'):
        value = form.get(key, fields.get('saved_payload', {}).get(key))
        if value is not None:
            fields[key] = value
    if 'release' in form:
        fields['software_version'] = form['release']
    address = _redeploy_address(form)
    if address is not None:
        fields['bootstrap_address'] = address
    for key in ('sysadmin_password', 'bmc_password'):
        if key in form:
            secrets[key] = decode_password(form[key], key)
    return Request(fields=fields, secrets=secrets)
