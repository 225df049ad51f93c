"""The database interface of dcmanager.

Every function takes the request context first and runs in one transaction. Functions that read one
row raise the resource's ``NotFound`` exception; writers translate constraint violations into the
project's exceptions (``...NameTaken`` -> 409, reference errors -> 400), so callers never see a
driver error. The implementation is ``dcmanager.db.sqlalchemy.api``.
"""

from dcmanager.db.sqlalchemy import api as _impl
from dcmanager.db.sqlalchemy import subclouds as _subclouds


def get_engine():
    """The SQLAlchemy engine of ``[database] connection``."""
    return _impl.get_engine()


def dispose_engine():
    """Drop pooled connections (after a fork, at stop)."""
    _impl.dispose_engine()


# Subcloud groups

def subcloud_group_get(context, group_id):
    """The group with this id, or SubcloudGroupNotFound."""
    return _impl.subcloud_group_get(context, group_id)


def subcloud_group_get_by_name(context, name):
    """The group with this exact name, or SubcloudGroupNotFound."""
    return _impl.subcloud_group_get_by_name(context, name)


def subcloud_group_get_all(context):
    """Every group, ordered by id."""
    return _impl.subcloud_group_get_all(context)


def subcloud_group_subcloud_counts(context):
    """{group_id: number of subclouds} for the groups that have any."""
    return _impl.subcloud_group_subcloud_counts(context)


def subcloud_group_create(context, values):
    """Insert a group; SubcloudGroupNameTaken if the name is in use."""
    return _impl.subcloud_group_create(context, values)


def subcloud_group_update(context, group_id, values):
    """Update a group's columns; SubcloudGroupNotFound or SubcloudGroupNameTaken."""
    return _impl.subcloud_group_update(context, group_id, values)


def subcloud_group_destroy(context, group_id):
    """Delete a group only if it has no subclouds (one statement, no race).

    SubcloudGroupNotFound or SubcloudGroupNotEmpty otherwise.
    """
    return _impl.subcloud_group_destroy(context, group_id)


def subcloud_group_ensure_default(context):
    """Make sure the Default group (id 1) exists."""
    return _impl.subcloud_group_ensure_default(context)


# Subclouds

def subcloud_get(context, subcloud_id):
    """The subcloud with this id, or SubcloudNotFound."""
    return _subclouds.subcloud_get(context, subcloud_id)


def subcloud_get_by_name(context, name):
    """The subcloud with this name, or SubcloudNotFound."""
    return _subclouds.subcloud_get_by_name(context, name)


def subcloud_get_all(context, group_id=None):
    """Every subcloud ordered by id, optionally only those of one group."""
    return _subclouds.subcloud_get_all(context, group_id=group_id)


def subcloud_create(context, values):
    """Insert a subcloud and its endpoint status rows; SubcloudNameTaken on a duplicate name."""
    return _subclouds.subcloud_create(context, values)


def subcloud_destroy(context, subcloud_id):
    """Delete a subcloud and (by cascade) its status rows; SubcloudNotFound if absent."""
    return _subclouds.subcloud_destroy(context, subcloud_id)


def subcloud_get_secrets(context, subcloud_id):
    """The encrypted secrets column of a subcloud (None if none); SubcloudNotFound if absent."""
    return _subclouds.subcloud_get_secrets(context, subcloud_id)


# Token cache (identity layer, database backend). Times are naive UTC.

def token_cache_get(context, key_hash):
    """The row holding a token for ``key_hash``, or None (no row, or no token in it)."""
    return _impl.token_cache_get(context, key_hash)


def token_cache_put(context, key_hash, ciphertext, token_digest, expires_at):
    """Store an (encrypted) token for ``key_hash``, replacing any other."""
    return _impl.token_cache_put(context, key_hash, ciphertext, token_digest, expires_at)


def token_cache_delete(context, key_hash, token_digest):
    """Drop the token of ``key_hash`` only if it is still the one with ``token_digest``."""
    return _impl.token_cache_delete(context, key_hash, token_digest)


def token_cache_acquire_lease(context, key_hash, now, until):
    """Compare-and-set the renewal lease of ``key_hash`` (free or lapsed -> ours until ``until``).

    True when granted, False when another process holds it.
    """
    return _impl.token_cache_acquire_lease(context, key_hash, now, until)


def token_cache_release_lease(context, key_hash):
    """Free the renewal lease of ``key_hash``."""
    return _impl.token_cache_release_lease(context, key_hash)


def token_cache_purge(context, now):
    """Delete expired tokens whose lease is free; returns how many rows went."""
    return _impl.token_cache_purge(context, now)


# Subcloud audit and alarm summary (see dcmanager.db.sqlalchemy.audit)
