"""Requests of ``dcmanager subcloud add/update/manage`` as the real CLI sends them, for the tests.

The CLI (python-dcmanagerclient) sends ``multipart/form-data`` through requests-toolbelt's
MultipartEncoder: files first, each a part with ``filename="<path as typed>"`` and no
Content-Type, then the text fields, plain ``form-data; name="<field>"`` parts without a
Content-Type either. ``cli_multipart`` builds exactly that (requests-toolbelt is not installed).
Every address is a loopback one (127.x).
"""

import base64
import contextlib
import secrets
import socket
import time

import yaml

from dcmanager.conf import CONF

ADMIN_PASSWORD = 'Adm1n-Pa55-Zebra'
SYSADMIN_PASSWORD = 'Sys-Pa55-Quokka'
BMC_PASSWORD = 'Bmc-Pa55-Narwhal'
REGISTRY_PASSWORD = 'Reg-Pa55-Axolotl'
ALL_PASSWORDS = (ADMIN_PASSWORD, SYSADMIN_PASSWORD, BMC_PASSWORD, REGISTRY_PASSWORD)

BASE = '/v1.0/subclouds'
JSON = {'Accept': 'application/json'}
SETTLED_TIMEOUT = 20.0
TRANSITORY = ('pre-enroll', 'enrolling')


def b64(text):
    return base64.b64encode(text.encode()).decode()


def cli_multipart(fields=None, files=None):
    """(body, content type) of a CLI request: ``files`` {name: (path, bytes or str)} then
    ``fields`` {name: str}."""
    boundary = secrets.token_hex(16)
    parts = []
    for name, (path, data) in (files or {}).items():
        data = data.encode() if isinstance(data, str) else data
        parts.append(b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n\r\n'
                     % (boundary.encode(), name.encode(), path.encode()) + data + b'\r\n')
    for name, value in (fields or {}).items():
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                      % (boundary, name, value)).encode())
    parts.append(('--%s--\r\n' % boundary).encode())
    return b''.join(parts), 'multipart/form-data; boundary=%s' % boundary


def bootstrap_values(name='sc1', n=1, **changes):
    """StarlingX-style bootstrap values of subcloud number ``n`` (1..250): its own management
    and OAM subnets. ``changes`` set keys; a value of None removes the key."""
    values = {
        'name': name,
        'system_mode': 'simplex',
        'description': 'Subcloud %s' % name,
        'location': 'Rack %d' % n,
        'systemcontroller_gateway_address': '127.19.0.1',
        'external_oam_subnet': '127.30.%d.0/24' % n,
        'external_oam_gateway_address': '127.30.%d.1' % n,
        'external_oam_floating_address': '127.30.%d.2' % n,
        'management_subnet': '127.20.%d.0/24' % n,
        'management_start_address': '127.20.%d.2' % n,
        'management_end_address': '127.20.%d.50' % n,
        'management_gateway_address': '127.20.%d.1' % n,
        'admin_password': ADMIN_PASSWORD,
        'docker_registries': {'defaults': {'username': 'reg-user',
                                           'password': REGISTRY_PASSWORD}},
        'dns_servers': ['127.0.0.53'],
    }
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def add_request(name='sc1', n=1, address=None, bootstrap=None, files=None, **fields):
    """(fields, files) of ``dcmanager subcloud add`` for subcloud number ``n``."""
    form = {'bootstrap-address': address or '127.0.3.%d' % n,
            'sysadmin_password': b64(SYSADMIN_PASSWORD)}
    for key, value in fields.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    uploads = {'bootstrap_values': ('obs/bootstrap-%s.yaml' % name,
                                    yaml.safe_dump(bootstrap or bootstrap_values(name, n)))}
    uploads.update(files or {})
    return form, uploads


def post_add(api, form, files, status=200, headers=None):
    body, content_type = cli_multipart(form, files)
    return api.post('/v1.0/subclouds/', body,
                    headers=dict(headers or {}, **{'Content-Type': content_type}), status=status)


def patch_form(api, ref, form, files=None, status=200, headers=None):
    body, content_type = cli_multipart(form, files)
    return api.patch('/v1.0/subclouds/%s' % ref, body,
                     headers=dict(headers or {}, **{'Content-Type': content_type}),
                     status=status)


def wait_settled(api, ref, timeout=SETTLED_TIMEOUT):
    """The subcloud once its deploy status left pre-enroll/enrolling."""
    deadline = time.monotonic() + timeout
    while True:
        body = api.get('/v1.0/subclouds/%s' % ref).json
        if body['deploy-status'] not in TRANSITORY:
            return body
        if time.monotonic() > deadline:
            raise AssertionError('subcloud %s still %s' % (ref, body['deploy-status']))
        time.sleep(0.05)


@contextlib.contextmanager
def unreachable_subclouds():
    """Subclouds reached over plain HTTP on a port nothing listens on (at 127.0.3.x): their
    enrollment fails at once, for real. Yields the port."""
    with socket.socket() as s:
        s.bind(('127.0.3.1', 0))
        port = s.getsockname()[1]
    CONF.set_override('scheme', 'http', group='subcloud')
    CONF.set_override('identity_port', port, group='subcloud')
    CONF.set_override('agent_port', port, group='subcloud')
    try:
        yield port
    finally:
        for name in ('scheme', 'identity_port', 'agent_port'):
            CONF.clear_override(name, group='subcloud')


def add_settled(api, name='sc1', n=1, settle=True, **kw):
    """Add subcloud number ``n`` as the CLI does; its answer, or (``settle``) the subcloud once
    its enrollment has ended."""
    form, files = add_request(name, n, **kw)
    body = post_add(api, form, files).json
    return wait_settled(api, body['id']) if settle else body


def list_state(api):
    """Everything a refused request must leave untouched: the full list."""
    return api.get(BASE).json


def refused_add(api, form, files, message, status=400):
    """POST the add; it must be refused with ``message`` and change nothing."""
    before = list_state(api)
    resp = post_add(api, form, files, status=status, headers=JSON)
    assert resp.json['description'] == message
    assert list_state(api) == before
    return resp
