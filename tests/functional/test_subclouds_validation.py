"""/v1.0/subclouds: what an add must be refused for, through the real WSGI stack, manager and
database. Every refusal is checked to change nothing (the full list before and after).
Requests are built as the CLI builds them (multipart).
"""

import pytest
import sqlalchemy as sa

from dcmanager.db import api as db_api
from tests import subcloud_forms as forms

BASE = forms.BASE
JSON = forms.JSON
_add = forms.add_settled
_state = forms.list_state
_bad_add = forms.refused_add


@pytest.fixture(autouse=True)
def unreachable(site):
    with forms.unreachable_subclouds() as port:
        yield port


def _with_range(name, n, subnet, start, end, gateway):
    """The add request of subcloud ``n`` with this management subnet and range."""
    return forms.add_request(name, n, bootstrap=forms.bootstrap_values(
        name, n, management_subnet=subnet, management_start_address=start,
        management_end_address=end, management_gateway_address=gateway))


def _with_oam(name, n, subnet, gateway, floating):
    """The add request of subcloud ``n`` with this OAM subnet."""
    return forms.add_request(name, n, bootstrap=forms.bootstrap_values(
        name, n, external_oam_subnet=subnet, external_oam_gateway_address=gateway,
        external_oam_floating_address=floating))


@pytest.mark.parametrize('field', ['bootstrap_values', 'bootstrap-address',
                                   'sysadmin_password'])
def test_add_requires_form_fields(api, field):
    form, files = forms.add_request()
    form.pop(field, None)
    files.pop(field, None)
    _bad_add(api, form, files, '%s required' % field)


@pytest.mark.parametrize('key', ['name', 'system_mode', 'systemcontroller_gateway_address',
                                 'external_oam_subnet', 'external_oam_gateway_address',
                                 'external_oam_floating_address', 'management_subnet',
                                 'management_start_address', 'management_end_address',
                                 'management_gateway_address', 'admin_password'])
def test_add_requires_bootstrap_values(api, key):
    boot = forms.bootstrap_values()
    del boot[key]
    form, files = forms.add_request(bootstrap=boot)
    _bad_add(api, form, files, '%s required' % key)


def test_admin_network_needs_its_four_keys(api):
    boot = forms.bootstrap_values(management_gateway_address=None, admin_subnet='127.21.1.0/24')
    form, files = forms.add_request(bootstrap=boot)
    _bad_add(api, form, files, 'admin_start_address required')


def test_admin_and_management_gateways_are_exclusive(api):
    boot = forms.bootstrap_values(admin_subnet='127.21.1.0/24', admin_start_address='127.21.1.10',
                                  admin_end_address='127.21.1.20',
                                  admin_gateway_address='127.21.1.1')
    form, files = forms.add_request(bootstrap=boot)
    _bad_add(api, form, files,
             'management_gateway_address and admin_gateway_address cannot both be given')


@pytest.mark.parametrize('name,message', [
    ('123', 'name must contain alphabetic characters'),
    ('Sc1', 'name invalid: Sc1 is not a lower-case RFC 1123 host name (letters, digits, "-" '
            'and "."), at most 255 characters'),
    ('sc_1', None), ('-sc1', None), ('sc1-', None), ('sc..1', None), ('a' * 64, None),
    ('sc 1', None), ('sc1/x', None),
    ('x' * 256, 'name invalid: longer than 255 characters'),
    ('systemcontroller', 'name invalid: systemcontroller is reserved'),
    ('detail', 'name invalid: detail is reserved'),
])
def test_add_names_follow_rfc_1123(api, name, message):
    form, files = forms.add_request(bootstrap=forms.bootstrap_values(name, description='d'))
    before = _state(api)
    resp = forms.post_add(api, form, files, status=400, headers=JSON)
    if message is None:
        assert resp.json['description'].startswith('name invalid: ')
    else:
        assert resp.json['description'] == message
    assert _state(api) == before


def test_add_accepts_dotted_names(api):
    assert _add(api, 'edge.site-1.example', settle=False)['name'] == 'edge.site-1.example'
    assert api.get(BASE + '/edge.site-1.example').json['name'] == 'edge.site-1.example'


@pytest.mark.parametrize('changes,message', [
    ({'system_mode': 'triplex'}, 'system_mode invalid: simplex, duplex or duplex-direct'),
    ({'systemcontroller_gateway_address': 'gateway'},
     'systemcontroller_gateway_address invalid: not an IP address'),
    ({'external_oam_subnet': '127.30.1.0'},
     'external_oam_subnet invalid: not a subnet (address/prefix)'),
    ({'external_oam_gateway_address': '127.31.1.1'},
     'external_oam_gateway_address invalid: not in the subnet 127.30.1.0/24'),
    ({'external_oam_floating_address': 'nope'},
     'external_oam_floating_address invalid: not an IP address'),
    ({'management_subnet': '127.20.1.0/31'},
     'management_subnet invalid: subnet too small, it must have at least 4 addresses'),
    ({'management_start_address': '127.20.2.2'},
     'management_start_address invalid: not in the subnet 127.20.1.0/24'),
    ({'management_start_address': '127.20.1.60'},
     'management_start_address invalid: greater than management_end_address'),
    ({'management_gateway_address': '127.20.1.10'},
     'management_gateway_address invalid: inside the address range '
     '127.20.1.2-127.20.1.50'),
    ({'management_end_address': '::1'},
     'management_end_address invalid: not in the subnet 127.20.1.0/24'),
    ({'system_mode': 'duplex', 'management_start_address': '127.20.1.2',
      'management_end_address': '127.20.1.3'},
     'management_end_address invalid: the address range must hold at least 3 addresses'),
    ({'system_mode': 'duplex', 'management_subnet': '127.20.1.0/30',
      'management_start_address': '127.20.1.1', 'management_end_address': '127.20.1.2',
      'management_gateway_address': '127.20.1.3'},
     'management_subnet invalid: subnet too small, it must have at least 8 addresses'),
    ({'admin_password': 12345},
     'admin_password invalid: a non-empty string (quote it in the YAML file)'),
    ({'description': 'd' * 256}, 'Invalid description: a string of at most 255 characters'),
])
def test_add_checks_bootstrap_values(api, changes, message):
    form, files = forms.add_request(bootstrap=forms.bootstrap_values(**changes))
    _bad_add(api, form, files, message)


@pytest.mark.parametrize('fields,message', [
    ({'sysadmin_password': 'not base64!'},
     'Failed to decode subcloud sysadmin_password, verify the password is base64 encoded'),
    ({'sysadmin_password': ''},
     'Failed to decode subcloud sysadmin_password, verify the password is base64 encoded'),
    ({'sysadmin_password': '//79'},
     'Failed to decode subcloud sysadmin_password, verify the password is base64 encoded'),
    ({'bmc_password': 'QQ'},
     'Failed to decode subcloud bmc_password, verify the password is base64 encoded'),
    ({'bootstrap-address': '127.0.3'}, 'bootstrap-address invalid: not an IP address'),
    ({'bootstrap-address': 'subcloud.example'}, 'bootstrap-address invalid: not an IP address'),
    ({'group_id': '99'}, 'Invalid group_id'),
    ({'group_id': 'nope'}, 'Invalid group_id'),
    ({'description': 'd' * 256}, 'Invalid description: a string of at most 255 characters'),
    ({'location': 'l' * 256}, 'Invalid location: a string of at most 255 characters'),
    ({'release': 'latest'}, 'Invalid release: <major>.<minor>, for example 24.09'),
    ({'enroll': 'yes'}, 'Invalid enroll value: "true" or "false"'),
    ({'migrate': 'true'}, 'Invalid option: migrate (adding a subcloud by migrating it from '
                          'another site is not supported yet)'),
    ({'migrate': 'true', 'enroll': 'true'}, 'migrate and enroll cannot be used together'),
    # secondary=true is the peer site's (tests/functional/test_peer_writes.py).
    ({'secondary': 'yes'}, 'Invalid secondary value: "true" or "false"'),
    ({'region_name': 'f' * 32}, 'Unexpected field: region_name'),
])
def test_add_checks_form_fields(api, fields, message):
    form, files = forms.add_request(**fields)
    _bad_add(api, form, files, message)


def test_form_name_must_match_the_bootstrap_name(api):
    form, files = forms.add_request('sc1', 1)
    form['name'] = 'other'
    _bad_add(api, form, files, 'name other does not match the name sc1 of the bootstrap values')


def test_add_accepts_enroll_and_name_as_the_cli_sends_them(api):
    form, files = forms.add_request('sc1', 1, enroll='true')
    form['name'] = 'sc1'
    assert forms.post_add(api, form, files).json['name'] == 'sc1'
    assert _add(api, 'sc2', 2, enroll='false', settle=False)['name'] == 'sc2'


@pytest.mark.parametrize('name', ['deploy_config', 'cloud_init_config'])
def test_add_refuses_deployment_files(api, name):
    form, files = forms.add_request(files={name: ('obs/%s' % name, b'\x1f\x8b binary')})
    before = _state(api)
    resp = forms.post_add(api, form, files, status=400, headers=JSON)
    assert resp.json['description'].startswith('%s is not supported' % name)
    assert _state(api) == before


def test_install_values_need_a_bmc_password(api):
    form, files = forms.add_request(files={'install_values': ('i.yaml', 'bmc_address: x\n')})
    _bad_add(api, form, files, 'bmc_password required')


@pytest.mark.parametrize('data,message', [
    (b'name: [unclosed\n', 'bootstrap_values is not a valid YAML file (line 2, column 1)'),
    (b'- a\n- b\n', 'bootstrap_values must be a YAML mapping'),
    (b'base: &a {x: 1}\nname: *a\n', 'bootstrap_values is not a valid YAML file '
                                      '(line 2, column 7)'),
    (b'\xff\xfe\x00', 'bootstrap_values is not UTF-8 text'),
    (b'a: !!python/object/apply:os.system ["true"]\n',
     'bootstrap_values is not a valid YAML file (line 1, column 4)'),
])
def test_add_bootstrap_file_must_be_a_safe_yaml_mapping(api, data, message):
    form, files = forms.add_request(files={'bootstrap_values': ('obs/b.yaml', data)})
    _bad_add(api, form, files, message)


def test_yaml_error_does_not_echo_the_file(api):
    data = ('name: sc1\nadmin_password: %s: oops\n' % forms.ADMIN_PASSWORD).encode()
    form, files = forms.add_request(files={'bootstrap_values': ('b.yaml', data)})
    resp = forms.post_add(api, form, files, status=400)
    assert forms.ADMIN_PASSWORD not in resp.text


def test_add_empty_or_unreadable_body(api):
    before = _state(api)
    for body, content_type, message in (
            (b'', 'multipart/form-data; boundary=x', 'Body required'),
            (b'', 'application/json', 'Body required'),
            (b'{}', 'application/json', 'No fields given'),
            (b'{not json', 'application/json', 'The request body is not valid JSON: Expecting '
                                               'property name enclosed in double quotes (line 1, '
                                               'column 2)')):
        resp = api.post(BASE, body, headers={'Content-Type': content_type, **JSON}, status=400)
        assert resp.json['description'] == message
    resp = api.post(BASE, b'x', headers={'Content-Type': 'text/plain', **JSON}, status=400)
    assert 'Unsupported Content-Type text/plain' in resp.json['description']
    assert _state(api) == before


def test_a_field_given_twice_is_refused(api):
    form, files = forms.add_request()
    body, content_type = forms.cli_multipart(form, files)
    boundary = content_type.split('=', 1)[1]
    body = body.replace(('--%s--' % boundary).encode(), (
        '--%s\r\nContent-Disposition: form-data; name="bootstrap-address"\r\n\r\n127.0.3.9\r\n'
        '--%s--' % (boundary, boundary)).encode())
    resp = api.post(BASE, body, headers={'Content-Type': content_type, **JSON}, status=400)
    assert resp.json['description'] == 'bootstrap-address is given more than once'


def test_management_range_overlapping_another_subcloud_is_400(api):
    _add(api, 'sc1', 1)
    form, files = _with_range('sc2', 2, '127.20.1.0/24', '127.20.1.40', '127.20.1.60', '127.20.1.1')
    _bad_add(api, form, files, 'management address range 127.20.1.40-127.20.1.60 overlaps the '
                               'range 127.20.1.2-127.20.1.50 of subcloud sc1')


def test_adjacent_management_ranges_are_fine(api):
    _add(api, 'sc1', 1)
    form, files = _with_range('sc2', 2, '127.20.1.0/24', '127.20.1.51', '127.20.1.99', '127.20.1.1')
    assert forms.post_add(api, form, files).json['management-start-ip'] == '127.20.1.51'


def test_bootstrap_address_of_another_subcloud_is_400(api):
    _add(api, 'sc1', 1)
    form, files = forms.add_request('sc2', 2, address='127.0.3.1')
    _bad_add(api, form, files, 'bootstrap-address 127.0.3.1 is already used by subcloud sc1')


def test_oam_subnet_overlapping_a_management_subnet_is_400(api):
    _add(api, 'sc1', 1)
    form, files = _with_oam('sc2', 2, '127.20.1.0/25', '127.20.1.100', '127.20.1.101')
    _bad_add(api, form, files, 'external_oam_subnet 127.20.1.0/25 overlaps the management '
                               'subnet 127.20.1.0/24 of subcloud sc1')


def _drop_address_keys():
    # As a row written by hand (outside the database layer's writers) would be: no keys.
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text(
            'UPDATE subclouds SET management_first_key = NULL, management_last_key = NULL, '
            'management_subnet_first_key = NULL, management_subnet_last_key = NULL'))


def test_subclouds_without_address_keys_still_clash(api):
    # The overlap checks look up the key columns, and read the rows without keys one by one.
    _add(api, 'sc1', 1)
    _drop_address_keys()
    form, files = _with_range('sc2', 2, '127.20.1.0/24', '127.20.1.40', '127.20.1.60', '127.20.1.1')
    _bad_add(api, form, files, 'management address range 127.20.1.40-127.20.1.60 overlaps the '
                               'range 127.20.1.2-127.20.1.50 of subcloud sc1')
    form, files = _with_oam('sc2', 2, '127.20.1.0/25', '127.20.1.100', '127.20.1.101')
    _bad_add(api, form, files, 'external_oam_subnet 127.20.1.0/25 overlaps the management '
                               'subnet 127.20.1.0/24 of subcloud sc1')
    assert _add(api, 'sc2', 2)['management-start-ip'] == '127.20.2.2'


def test_the_address_keys_follow_the_addresses(api, ctx):
    # sc1 moves from 127.20.1.0/24 to 127.20.9.0/24: its old range is free, its new one is not.
    sc1 = _add(api, 'sc1', 1)
    db_api.subcloud_update(ctx, sc1['id'], {
        'management_subnet': '127.20.9.0/24', 'management_start_ip': '127.20.9.2',
        'management_end_ip': '127.20.9.50', 'management_gateway_ip': '127.20.9.1'})
    db_api.subcloud_update(ctx, sc1['id'], {'management_end_ip': '127.20.9.60'})
    form, files = _with_range('sc3', 3, '127.20.9.0/24', '127.20.9.55', '127.20.9.70', '127.20.9.1')
    _bad_add(api, form, files, 'management address range 127.20.9.55-127.20.9.70 overlaps the '
                               'range 127.20.9.2-127.20.9.60 of subcloud sc1')
    form, files = _with_oam('sc3', 3, '127.20.9.128/25', '127.20.9.129', '127.20.9.130')
    _bad_add(api, form, files, 'external_oam_subnet 127.20.9.128/25 overlaps the management '
                               'subnet 127.20.9.0/24 of subcloud sc1')
    # sc1's old addresses are free now.
    form, files = _with_range('sc2', 2, '127.20.1.0/24', '127.20.1.2', '127.20.1.50', '127.20.1.1')
    assert forms.post_add(api, form, files).json['management-start-ip'] == '127.20.1.2'
