"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under the site key.

The key lives in ``[DEFAULT] secret_key_file``; the embedded site creates it (mode 0600) the first
time it is needed. Ciphertext is what the database holds for every password and cached token.
"""

import hashlib
import hmac
import os
import threading

from cryptography import fernet

from dcmanager.common import exception
from dcmanager.conf import CONF

_lock = threading.Lock()
_cipher = None
_cipher_path = None
_mac_key = None


def _load_or_create(path):
    try:
        with open(path, 'rb') as f:
            return f.read().strip()
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    key = fernet.Fernet.generate_key()
    # O_EXCL: if another process of the site created it meanwhile, use theirs.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, 'rb') as f:
            return f.read().strip()
    with os.fdopen(fd, 'wb') as f:
        f.write(key)
    return key


def _get_cipher():
    global _cipher, _cipher_path, _mac_key
    path = CONF.secret_key_file
    with _lock:
        if _cipher is None or _cipher_path != path:
            try:
                key = _load_or_create(path)
                _cipher = fernet.Fernet(key)
            except (ValueError, OSError) as e:
                raise exception.DCManagerException(
                    'Cannot use the site key %s: %s' % (path, e.__class__.__name__)) from None
            _cipher_path = path
            # Derived, so that no digest is ever made with the encryption key itself.
            _mac_key = hashlib.sha256(b'dcmanager-fingerprint\0' + key).digest()
        return _cipher


def encrypt(plaintext):
    """Ciphertext (str) of ``plaintext`` (str)."""
    return _get_cipher().encrypt(plaintext.encode('utf-8')).decode('ascii')


def decrypt(ciphertext):
    """The plaintext of ``ciphertext``; DCManagerException if it was not made with this key."""
    try:
        return _get_cipher().decrypt(ciphertext.encode('ascii')).decode('utf-8')
    except (fernet.InvalidToken, ValueError):
        raise exception.DCManagerException('A stored secret cannot be decrypted with the site '
                                           'key') from None


def fingerprint(secret):
    """A stable digest of ``secret`` (hex) that says whether two secrets are the same without
    revealing either: an HMAC under the site key, so a database reader cannot test guesses."""
    _get_cipher()
    return hmac.new(_mac_key, secret.encode('utf-8'), hashlib.sha256).hexdigest()
