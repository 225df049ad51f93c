"""The database records behind the shared token cache (``[token_cache] backend = database``).

Tokens are encrypted with the site key before they reach the database and looked up by a hash of
the identity they belong to; this is the ``records`` interface of
``dcmanager.drivers.identity.SharedTokenStore``.

Reads and writes are group-committed (``common.groupcommit``): the lookups, leases and puts that
many threads ask for at once (an audit cycle's first round, when every subcloud needs a token) go
to the database in one transaction per group instead of one each. Each caller still gets its own
answer, and only once its group is committed.
"""

import datetime

from dcmanager.common import context as dc_context
from dcmanager.common import crypto, groupcommit
from dcmanager.db import api as db_api


def _naive_utc(value):
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def _decrypted(row):
    if row is None or (row.expires_at is not None and row.expires_at <= _now()):
        return None
    return crypto.decrypt(row.token_ciphertext)


class DatabaseTokenRecords:
    """Encrypted token records in the ``token_cache`` table, with a renewal lease per key."""

    def __init__(self):
        self._ctx = dc_context.get_admin_context()
        self._reads = groupcommit.GroupCommit(self._read_many)
        self._writes = groupcommit.GroupCommit(self._write_many)

    def _read_many(self, digests):
        rows = db_api.token_cache_get_many(self._ctx, digests)
        return [rows[digest] for digest in digests]

    def _write_many(self, operations):
        return db_api.token_cache_write_many(self._ctx, operations)

    def get(self, digest):
        """The decrypted token record of ``digest``, or None."""
        return _decrypted(self._reads.call(digest))

    def put(self, digest, text, token_digest, expires_at, release_lease=False):
        """Store ``text`` encrypted under ``digest`` (and give up the renewal lease)."""
        self._writes.call(('put', (digest, crypto.encrypt(text), token_digest,
                                   _naive_utc(expires_at), release_lease)))

    def delete(self, digest, token_digest):
        """Drop the record only if it still holds the token with ``token_digest``."""
        db_api.token_cache_delete(self._ctx, digest, token_digest)

    def acquire_lease(self, digest, seconds):
        """Become the one process renewing ``digest`` for ``seconds``; True if granted."""
        return self.acquire_lease_and_get(digest, seconds)[0]

    def acquire_lease_and_get(self, digest, seconds):
        """``acquire_lease``, and the decrypted record of ``digest`` (or None) read in the same
        transaction: ``(granted, text)``."""
        now = _now()
        granted, row = self._writes.call(
            ('acquire_lease', (digest, now, now + datetime.timedelta(seconds=seconds))))
        return granted, _decrypted(row)

    def release_lease(self, digest):
        db_api.token_cache_release_lease(self._ctx, digest)

    def purge_expired(self):
        """Delete expired records; returns how many."""
        return db_api.token_cache_purge(self._ctx, _now())
