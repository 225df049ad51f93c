"""The multipart bodies the subcloud commands build: the parts the client contract names (text
fields without a Content-Type, files named by the path as typed, passwords base64), checked on
the bytes and read back by the server's own form reader."""

import base64
import email.parser
import io
import os

import pytest
import webob

from dcmanager.api import forms
from dcmanager.cli import actions, app, errors, multipart

BOOTSTRAP = (b'name: sc1\nsystem_mode: simplex\nsystemcontroller_gateway_address: 127.19.0.1\n'
             b'admin_password: St4rlingX*\n')


def parts(form):
    """[(name, filename, headers of the part, content)] of the encoded body, by a MIME parser."""
    body, content_type = form.encode()
    message = email.parser.BytesParser().parsebytes(
        b'Content-Type: ' + content_type.encode() + b'\r\n\r\n' + body)
    assert message.is_multipart()
    found = []
    for part in message.get_payload():
        found.append((part.get_param('name', header='content-disposition'),
                      part.get_filename(), dict(part.items()),
                      part.get_payload(decode=True)))
    return found


def server_reads(form, yaml_fields=('bootstrap_values', 'install_values')):
    body, content_type = form.encode()
    request = webob.Request.blank('/', method='POST', body=body, content_type=content_type)
    request.content_type = content_type.split(';')[0]
    request.headers['Content-Type'] = content_type
    return forms.read(request, yaml_fields=yaml_fields)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir('obs')
    with open('obs/bootstrap-sc1.yaml', 'wb') as f:
        f.write(BOOTSTRAP)
    with open('install.yaml', 'wb') as f:
        f.write(b'bootstrap_address: 127.0.7.1\n')
    return tmp_path


def command(cls, name, stdin=''):
    application = app.DCManagerApp(environ={}, stdin=io.StringIO(stdin), stdout=io.StringIO(),
                                   stderr=io.StringIO())
    cmd = cls(application, None)
    return cmd, cmd.get_parser('dcmanager ' + name)


def test_text_parts_have_no_content_type_and_files_keep_the_typed_path(workdir):
    form = multipart.Form().field('bootstrap-address', '127.0.7.1')
    form.file('bootstrap_values', 'obs/bootstrap-sc1.yaml')
    found = parts(form)
    assert [(n, f) for n, f, _, _ in found] == [('bootstrap-address', None),
                                               ('bootstrap_values', 'obs/bootstrap-sc1.yaml')]
    for _, _, headers, _ in found:
        assert list(headers) == ['Content-Disposition']
    assert found[1][3] == BOOTSTRAP


def test_missing_file_is_a_client_error(workdir):
    with pytest.raises(errors.CommandError, match='^install-values does not exist: nope.yaml$'):
        multipart.Form().file('install_values', 'nope.yaml')


def test_subcloud_add_body(workdir):
    cmd, parser = command(actions.SubcloudAdd, 'subcloud add')
    args = parser.parse_args(['--bootstrap-address', '127.0.7.1',
                              '--bootstrap-values', 'obs/bootstrap-sc1.yaml',
                              '--sysadmin-password', 'Sysadmin*1', '--group', 'Default',
                              '--install-values', 'install.yaml', '--bmc-password', 'bmc-Pw1'])
    form = cmd.form(args)
    found = {name: (filename, content) for name, filename, _, content in parts(form)}
    assert set(found) == {'bootstrap-address', 'sysadmin_password', 'bmc_password', 'group_id',
                          'bootstrap_values', 'install_values'}
    assert found['bootstrap-address'] == (None, b'127.0.7.1')
    assert found['sysadmin_password'] == (None, base64.b64encode(b'Sysadmin*1'))
    assert found['bmc_password'] == (None, base64.b64encode(b'bmc-Pw1'))
    assert found['group_id'] == (None, b'Default')
    assert found['bootstrap_values'] == ('obs/bootstrap-sc1.yaml', BOOTSTRAP)
    assert found['install_values'][0] == 'install.yaml'
    read = server_reads(form)
    assert read['bootstrap_values']['name'] == 'sc1'
    assert read['install_values'] == {'bootstrap_address': '127.0.7.1'}
    assert read['bootstrap-address'] == '127.0.7.1'
    assert read['sysadmin_password'] == base64.b64encode(b'Sysadmin*1').decode()


def test_subcloud_add_migrate_flags(workdir):
    cmd, parser = command(actions.SubcloudAdd, 'subcloud add')
    args = parser.parse_args(['--bootstrap-address', '127.0.7.1', '--bootstrap-values',
                              'obs/bootstrap-sc1.yaml', '--sysadmin-password', 'x',
                              '--migrate', '--name', 'sc9', '--release', '24.09'])
    read = server_reads(cmd.form(args))
    assert (read['migrate'], read['name'], read['release']) == ('true', 'sc9', '24.09')
    assert 'enroll' not in read and 'group_id' not in read


@pytest.mark.parametrize('extra, message', [
    (['--name', 'sc9'], 'The --name option can only be used with --migrate option.'),
    (['--cloud-init-config', 'c.tar'],
     'The --cloud-init-config option can only be used with --enroll option.'),
    (['--install-values', 'nope.yaml'], 'install-values does not exist: nope.yaml'),
    (['--install-values', 'install.yaml'], '--bmc-password is required'),
])
def test_subcloud_add_refusals_before_any_request(workdir, extra, message):
    cmd, parser = command(actions.SubcloudAdd, 'subcloud add')
    args = parser.parse_args(['--bootstrap-address', '127.0.7.1', '--bootstrap-values',
                              'obs/bootstrap-sc1.yaml', '--sysadmin-password', 'x', *extra])
    with pytest.raises(errors.CommandError) as info:
        cmd.form(args)
    assert str(info.value) == message


def test_subcloud_add_without_password_and_terminal(workdir):
    cmd, parser = command(actions.SubcloudAdd, 'subcloud add')
    args = parser.parse_args(['--bootstrap-address', '127.0.7.1', '--bootstrap-values',
                              'obs/bootstrap-sc1.yaml'])
    with pytest.raises(errors.CommandError, match='^--sysadmin-password is required$'):
        cmd.form(args)


def test_subcloud_update_body_uses_underscore_bootstrap_address(workdir):
    cmd, parser = command(actions.SubcloudUpdate, 'subcloud update')
    args = parser.parse_args(['sc1', '--description', 'Rack 9', '--group', '2',
                              '--peer-group', 'none', '--management-subnet', '127.20.9.0/24',
                              '--management-gateway-ip', '127.20.9.1',
                              '--management-start-ip', '127.20.9.2',
                              '--management-end-ip', '127.20.9.50',
                              '--bootstrap-address', '127.0.7.9',
                              '--sysadmin-password', 'pw', '--bootstrap-values',
                              'obs/bootstrap-sc1.yaml'])
    read = server_reads(cmd.form(args))
    assert read == {
        'description': 'Rack 9', 'group_id': '2', 'peer_group': 'none',
        'management_subnet': '127.20.9.0/24', 'management_gateway_ip': '127.20.9.1',
        'management_start_ip': '127.20.9.2', 'management_end_ip': '127.20.9.50',
        'bootstrap_address': '127.0.7.9', 'sysadmin_password': base64.b64encode(b'pw').decode(),
        'bootstrap_values': {'name': 'sc1', 'system_mode': 'simplex',
                             'systemcontroller_gateway_address': '127.19.0.1',
                             'admin_password': 'St4rlingX*'}}


def test_subcloud_update_bootstrap_address_alone_is_no_network_reconfiguration(workdir):
    cmd, parser = command(actions.SubcloudUpdate, 'subcloud update')
    read = server_reads(cmd.form(parser.parse_args(['sc1', '--bootstrap-address', '127.0.7.9',
                                                    '--sysadmin-password', 'pw'])))
    assert read == {'bootstrap_address': '127.0.7.9'}


def test_subcloud_update_without_all_network_fields_sends_no_password(workdir):
    cmd, parser = command(actions.SubcloudUpdate, 'subcloud update')
    read = server_reads(cmd.form(parser.parse_args(['sc1', '--location', 'Ottawa',
                                                    '--sysadmin-password', 'pw'])))
    assert read == {'location': 'Ottawa'}


@pytest.mark.parametrize('argv, message', [
    (['sc1'], 'Nothing to update'),
    (['sc1', '--management-subnet', '127.20.9.0/24'], actions.NETWORK_MESSAGE),
    (['sc1', '--management-subnet', '127.20.9.0/24', '--management-gateway-ip', '127.20.9.1',
      '--management-start-ip', '127.20.9.2', '--management-end-ip', '127.20.9.50'],
     actions.NETWORK_MESSAGE),
])
def test_subcloud_update_refusals(workdir, argv, message):
    cmd, parser = command(actions.SubcloudUpdate, 'subcloud update')
    with pytest.raises(errors.CommandError) as info:
        cmd.form(parser.parse_args(argv))
    assert str(info.value) == message


@pytest.mark.parametrize('cls, name, argv, expected', [
    (actions.SubcloudManage, 'subcloud manage', ['sc1'], {'management-state': 'managed'}),
    (actions.SubcloudManage, 'subcloud manage', ['sc1', '--force'],
     {'management-state': 'managed', 'force': 'true'}),
    (actions.SubcloudUnmanage, 'subcloud unmanage', ['sc1'],
     {'management-state': 'unmanaged'}),
    (actions.SubcloudUnmanage, 'subcloud unmanage', ['sc1', '--migrate', '--yes'],
     {'management-state': 'unmanaged', 'migrate': 'true'}),
])
def test_manage_and_unmanage_bodies_are_multipart(cls, name, argv, expected):
    cmd, parser = command(cls, name)
    form = cmd.form(parser.parse_args(argv))
    assert form.encode()[1].startswith('multipart/form-data; boundary=')
    assert server_reads(form) == expected
