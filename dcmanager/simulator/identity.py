"""Signed, self-contained tokens and the rotatable key ring of one simulated subcloud.

A token is ``<payload>.<signature>``: the payload is compact JSON (user, project, methods, issue and
expiry times, region, key id) in base64url, the signature an HMAC-SHA256 of it with one of the
subcloud's keys. Nothing is stored per token, so thousands of subclouds cost no memory per token
and a restarted simulator still accepts tokens whose key survived in the state file.

Rotation mimics a fernet key repository: a new primary key signs from then on; by default every old
key is dropped, which invalidates every outstanding token at once (what a full fernet rotation
does to a subcloud's tokens during its first identity sync); ``keep=n`` keeps the n newest old keys,
like ``max_active_keys``.
"""

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import os
import time

KEY_BYTES = 32


def _b64encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def _b64decode(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


def isotime(timestamp):
    """Keystone's timestamp format: ISO 8601, UTC, microseconds, ``Z``."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


class InvalidToken(Exception):
    """The token is malformed, signed by an unknown key, for another subcloud, or expired."""


class KeyRing:
    """The subcloud's signing keys: ``keys[0]`` is the primary, the others verify only."""

    def __init__(self, keys=None):
        # [(key id, key bytes)], newest first; ids only grow, so they order the keys.
        self.keys = list(keys) if keys else [(1, os.urandom(KEY_BYTES))]

    @property
    def primary_id(self):
        return self.keys[0][0]

    def key(self, key_id):
        for kid, key in self.keys:
            if kid == key_id:
                return key
        return None

    def rotate(self, keep=0):
        """Make a new primary key and keep only the ``keep`` newest old keys."""
        if keep < 0:
            raise ValueError('keep must not be negative')
        new = (self.primary_id + 1, os.urandom(KEY_BYTES))
        self.keys = [new] + self.keys[:keep]
        return new[0]

    def to_dict(self):
        return [{'id': kid, 'key': _b64encode(key)} for kid, key in self.keys]

    @classmethod
    def from_dict(cls, data):
        keys = sorted(((int(item['id']), _b64decode(item['key'])) for item in data),
                      key=lambda pair: pair[0], reverse=True)
        if not keys or any(len(key) != KEY_BYTES for _, key in keys):
            raise ValueError('a key ring needs at least one %d-byte key' % KEY_BYTES)
        return cls(keys)


def issue(ring, region, user_id, project_id, methods, lifetime, now=None):
    """Sign a new token with the primary key; return (token id, payload dict)."""
    now = time.time() if now is None else now
    payload = {'r': region, 'k': ring.primary_id, 'u': user_id, 'p': project_id,
               'm': list(methods), 'i': round(now, 6), 'e': round(now + lifetime, 6),
               'a': _b64encode(os.urandom(9))}
    body = _b64encode(json.dumps(payload, separators=(',', ':')).encode())
    return body + '.' + _sign(ring.keys[0][1], body), payload


def verify(ring, region, token, now=None):
    """Return the payload of a valid ``token``; raise InvalidToken otherwise."""
    try:
        body, signature = token.split('.')
        payload = json.loads(_b64decode(body))
        key = ring.key(payload['k'])
        expires = float(payload['e'])
    except (AttributeError, ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidToken('malformed token') from None
    if key is None:
        raise InvalidToken('signed with an unknown key')
    if not hmac.compare_digest(signature, _sign(key, body)):
        raise InvalidToken('bad signature')
    if payload.get('r') != region:
        raise InvalidToken('issued by another subcloud')
    if expires <= (time.time() if now is None else now):
        raise InvalidToken('expired')
    return payload


def _sign(key, body):
    return _b64encode(hmac.new(key, body.encode('ascii'), hashlib.sha256).digest())
