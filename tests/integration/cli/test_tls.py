"""HTTPS: a server whose certificate (self-signed, for 127.0.0.1, made for the test) the CLI does
not trust is "Unable to reach" in one line; ``--os-cacert`` / ``OS_CACERT`` trusts it, and
``--insecure`` skips the check without a warning on stderr."""

import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from tests.integration.cli.stub_server import StubServer

GROUPS = {'subcloud_groups': [{'id': 1, 'name': 'Default', 'description': 'Default group',
                               'update_apply_type': 'parallel', 'max_parallel_subclouds': 2,
                               'created-at': '2026-12-03 14:05:02', 'updated-at': None}]}


@pytest.fixture(scope='module')
def certificate(tmp_path_factory):
    """(certificate file, key file) of a self-signed certificate for 127.0.0.1."""
    workdir = tmp_path_factory.mktemp('tls')
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = workdir / 'cert.pem', workdir / 'key.pem'
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


@pytest.fixture
def https(certificate):
    with StubServer(tls=certificate) as server:
        server.answer('GET', '/v1.0/subcloud-groups', 200, GROUPS)
        yield server


def test_an_untrusted_certificate_is_unable_to_reach(bare_cli, https):
    message = bare_cli('--dcmanager-url', https.url, 'subcloud-group', 'list',
                       timeout=30).error()
    assert message.startswith('Unable to reach dcmanager at %s: ' % https.url), message
    assert not https.requests


def test_the_ca_certificate_given(bare_cli, https, certificate):
    got = bare_cli('--dcmanager-url', https.url, '--os-cacert', certificate[0],
                   'subcloud-group', 'list', '-f', 'value', '-c', 'name').ok()
    assert got.out == 'Default\n'
    got = bare_cli('--dcmanager-url', https.url, 'subcloud-group', 'list', '-f', 'value',
                   '-c', 'name', env={'OS_CACERT': certificate[0]}).ok()
    assert got.out == 'Default\n'


def test_insecure(bare_cli, https):
    got = bare_cli('--dcmanager-url', https.url, '--insecure', 'subcloud-group', 'list', '-f',
                   'value', '-c', 'name')
    assert (got.code, got.out, got.err) == (0, 'Default\n', ''), got
