"""The site key's fingerprints of secrets (dcmanager.common.crypto.fingerprint)."""

import pytest

from dcmanager.common import crypto
from dcmanager.conf import CONF


@pytest.fixture
def key_file(site, tmp_path):
    """A site key of the test's own (the cipher is rebuilt for a new path)."""
    CONF.set_override('secret_key_file', str(tmp_path / 'secret.key'))
    yield tmp_path / 'secret.key'
    CONF.clear_override('secret_key_file')


def test_a_fingerprint_is_stable_and_tells_secrets_apart(key_file):
    first = crypto.fingerprint('Peer-Secret*42')
    assert first == crypto.fingerprint('Peer-Secret*42')
    assert first != crypto.fingerprint('Peer-Secret*43')
    assert 'Peer-Secret' not in first and len(first) == 64


def test_a_fingerprint_depends_on_the_site_key(key_file, tmp_path):
    """A plain hash would let a reader of the database test guesses; the site key's MAC does
    not (without the key file)."""
    import hashlib
    here = crypto.fingerprint('Peer-Secret*42')
    assert here != hashlib.sha256(b'Peer-Secret*42').hexdigest()
    CONF.set_override('secret_key_file', str(tmp_path / 'other.key'))
    assert crypto.fingerprint('Peer-Secret*42') != here
