"""The database interface of dcmanager.

Every function takes the request context first and runs in one transaction. Functions that read one
row raise the resource's ``NotFound`` exception; writers translate constraint violations into the
project's exceptions (``...NameTaken`` -> 409, reference errors -> 400), so callers never see a
driver error. The implementation, ``dcmanager.db.sqlalchemy``, is ``core`` (the engine, its
transactions, the shared helpers) and one module per table family, which this module calls.
Geo-redundancy's tables (the local system, system peers, peer groups, associations, the watch of
the peer sites, site alarms) have theirs in ``dcmanager.db.geo_api``.
"""

from dcmanager.db.sqlalchemy import audit as _audit
from dcmanager.db.sqlalchemy import core as _core
from dcmanager.db.sqlalchemy import groups as _groups
from dcmanager.db.sqlalchemy import list_rows as _list_rows
from dcmanager.db.sqlalchemy import services as _services
from dcmanager.db.sqlalchemy import subclouds as _subclouds
from dcmanager.db.sqlalchemy import token_cache as _token_cache


def get_engine():
    """The SQLAlchemy engine of ``[database] connection``."""
    return _core.get_engine()


def dispose_engine():
    """Drop pooled connections (after a fork, at stop)."""
    _core.dispose_engine()


def transaction(context):
    """A context manager: one write transaction for every write made inside it (the functions
    of this module called in the block join it), committed when the block ends, rolled back
    whole if it raises."""
    return _core.transaction(context)


# Subcloud groups

def subcloud_group_get(context, group_id):
    """The group with this id, or SubcloudGroupNotFound."""
    return _groups.subcloud_group_get(context, group_id)


def subcloud_group_get_by_name(context, name):
    """The group with this exact name, or SubcloudGroupNotFound."""
    return _groups.subcloud_group_get_by_name(context, name)


def subcloud_group_get_all(context):
    """Every group, ordered by id."""
    return _groups.subcloud_group_get_all(context)


def subcloud_group_subcloud_counts(context):
    """{group_id: number of subclouds} for the groups that have any."""
    return _groups.subcloud_group_subcloud_counts(context)


def subcloud_group_create(context, values):
    """Insert a group; SubcloudGroupNameTaken if the name is in use."""
    return _groups.subcloud_group_create(context, values)


def subcloud_group_update(context, group_id, values):
    """Update a group's columns; SubcloudGroupNotFound or SubcloudGroupNameTaken."""
    return _groups.subcloud_group_update(context, group_id, values)


def subcloud_group_destroy(context, group_id):
    """Delete a group only if it has no subclouds (one statement, no race).

    SubcloudGroupNotFound or SubcloudGroupNotEmpty otherwise.
    """
    return _groups.subcloud_group_destroy(context, group_id)


def subcloud_group_ensure_default(context):
    """Make sure the Default group (id 1) exists."""
    return _groups.subcloud_group_ensure_default(context)


# Subclouds
#
# ``values`` are column values. State changes are compare-and-set: ``expected`` maps columns to the
# value (or collection of values) the row must still hold, else nothing is written. Writers refuse
# (InvalidInput) a management address range that overlaps another subcloud's and a bootstrap
# address another subcloud has, checked in the writing transaction.
#
# Owner of a transitory deploy status (``states.DEPLOY.transitory``): the ``deploy_owner``
# column, the host of the manager that runs the operation. A write of ``deploy_status`` always
# writes it too: the ``owner`` given (creation, transition; with subcloud_update, a
# ``deploy_owner`` among the values, else NULL) for a transitory status, NULL for any other.

LIST_COLUMNS = _subclouds.LIST_COLUMNS
LIST_FILTERS = _subclouds.LIST_FILTERS


def subcloud_get(context, subcloud_id):
    """The subcloud with this id, or SubcloudNotFound."""
    return _subclouds.subcloud_get(context, subcloud_id)


def subcloud_get_by_name(context, name):
    """The subcloud with this name, or SubcloudNotFound."""
    return _subclouds.subcloud_get_by_name(context, name)


def subcloud_get_by_region(context, region_name):
    """The subcloud with this region name, or SubcloudNotFound."""
    return _subclouds.subcloud_get_by_region(context, region_name)


def subcloud_get_with_statuses(context, subcloud_id=None, name=None):
    """(subcloud row, [(endpoint_type, sync_status)] ordered by endpoint type) of the subcloud
    with this id (or ``name``), read in one transaction; SubcloudNotFound. The row has every
    column but the secrets, as attributes."""
    return _subclouds.subcloud_get_with_statuses(context, subcloud_id, name)


def subcloud_get_all(context, group_id=None, peer_group_id=None):
    """Every subcloud ordered by id, optionally only one group's or one peer group's."""
    return _subclouds.subcloud_get_all(context, group_id=group_id, peer_group_id=peer_group_id)


def subcloud_list_rows_with_statuses(context, filters=None, limit=None, marker=None):
    """(rows, statuses), read in one transaction.

    ``rows``: read-only rows (tuples of ``LIST_COLUMNS``, in that order, also readable by
    attribute) ordered by id. Values are the driver's, unprocessed: a timestamp is a datetime or
    (SQLite) its stored text ``YYYY-MM-DD hh:mm:ss.ffffff``, a boolean may be 0/1.
    ``statuses``: for each row, the endpoint statuses of that subcloud as
    ((endpoint_type, ...), (sync_status, ...)) ordered by endpoint type (both empty if none).

    ``filters`` maps a column of ``LIST_FILTERS`` to the value it must equal (None: IS NULL);
    ``marker``: only ids above it; ``limit``: at most that many rows.
    """
    return _subclouds.subcloud_list_rows_with_statuses(context, filters, limit, marker)


def subcloud_list_texts(context, filters=None, limit=None, marker=None):
    """(ids, texts) of the subclouds a list shows (as for subcloud_list_rows_with_statuses),
    ordered by id: each text is the subcloud's list row as JSON, byte for byte what ``json.dumps``
    writes of ``dcmanager.api.views.subcloud_row`` (``dcmanager.common.subcloud_json``). One
    query; rows not rendered yet are rendered from their columns. The whole list (no filter,
    limit or marker) may come as (None, [the texts joined by ', ']), joined by the database.
    None when this database does not keep the rows (then list with
    subcloud_list_rows_with_statuses).
    """
    return _list_rows.subcloud_list_texts(context, filters, limit, marker)


def subcloud_show_text(context, subcloud_id=None, name=None, region_name=None):
    """The list row text (see subcloud_list_texts) of the subcloud with this id, name or region
    name (give one); SubcloudNotFound. None when this database does not keep the rows."""
    return _list_rows.subcloud_show_text(context, subcloud_id, name, region_name)


def subcloud_list_rows_refresh(context):
    """Render and store every list row that is not up to date; how many. The writers of this
    module do it themselves before they commit; this is for rows written otherwise (a schema
    upgrade, a bulk load)."""
    return _list_rows.subcloud_list_rows_refresh(context)


def subcloud_subnet_clash(context, text, exclude_id=None):
    """(name, management_subnet) of a subcloud (other than ``exclude_id``) whose management
    subnet overlaps the subnet ``text``, or None (also when ``text`` does not parse)."""
    return _subclouds.subcloud_subnet_clash(context, text, exclude_id)


def subcloud_create(context, values, owner=None):
    """Insert a subcloud and its endpoint status rows (all ``unknown``); ``owner`` (a manager's
    host) owns its deploy status if that is a transitory one.

    SubcloudNameTaken on a duplicate name, InvalidInput for an unknown group or an address clash.
    """
    return _subclouds.subcloud_create(context, values, owner)


def subcloud_update(context, subcloud_id, values, expected=None, endpoint_status=None,
                    out_of_sync_groups=(), out_of_sync_copies=()):
    """Write ``values`` if the row still matches ``expected``; returns the updated row.

    ``endpoint_status`` ({endpoint type: status}, key None for every other endpoint) is written in
    the same transaction, with the aggregate, and so are the primary associations of the peer
    groups ``out_of_sync_groups`` marked out-of-sync, and the non-primary associations of the
    peer groups ``out_of_sync_copies``. SubcloudNotFound; SubcloudChanged when
    ``expected`` no longer holds; SubcloudNameTaken, Conflict (region), InvalidInput (group,
    address clash).
    """
    return _subclouds.subcloud_update(context, subcloud_id, values, expected, endpoint_status,
                                      out_of_sync_groups=out_of_sync_groups,
                                      out_of_sync_copies=out_of_sync_copies)


def subcloud_transition(context, subcloud_id, from_status, values, owner=None):
    """Write ``values`` (with a ``deploy_status``) only if the deploy status is still
    ``from_status`` and, when ``owner`` is given and ``from_status`` is transitory, the subcloud's
    owner is ``owner`` (or none); True if written. The new owner is ``owner`` if the new status is
    transitory, none otherwise."""
    return _subclouds.subcloud_transition(context, subcloud_id, from_status, values, owner)


def subcloud_recover_transitory(context, recoveries, host, binary, down_time, at_start=False):
    """Move every subcloud in the deploy status of one of ``recoveries`` (``statetable.Recovery``:
    the transitory ``state``, its ``target`` and ``description``) whose owner is dead to that
    target, with that error description and no owner. Dead: not ``host`` and without a
    ``binary`` heartbeat in the last ``down_time`` seconds (by the database's clock). With
    ``at_start`` (``host``'s manager is starting: its previous run ended), also those ``host``
    owns and those without an owner.

    One conditional UPDATE: two managers recovering at once move each subcloud once, and a
    transition of a recovered subcloud (compare-and-set on its old status) no longer matches.
    Returns how many subclouds this call moved.
    """
    return _subclouds.subcloud_recover_transitory(context, recoveries, host, binary, down_time,
                                                  at_start)


def subcloud_delete_if_allowed(context, subcloud_id, secondary=False):
    """Delete a subcloud (statuses and alarm summary cascade) in one statement, only if it is not
    managed, in no peer group and in no ``states.DELETE_BLOCKING_DEPLOY_STATES``; with
    ``secondary``, only if it is a secondary copy (``states.SECONDARY_DEPLOY_STATES``).

    SubcloudNotFound, or SubcloudNotDeletable{Managed,PeerGroup,Busy} (SubcloudNotSecondary)
    saying why.
    """
    return _subclouds.subcloud_delete_if_allowed(context, subcloud_id, secondary=secondary)


def subcloud_update_members(context, peer_group_id, from_statuses, values):
    """``values`` (with a ``deploy_status``) on the peer group's members whose deploy status
    is in ``from_statuses``, in one statement; how many."""
    return _subclouds.subcloud_update_members(context, peer_group_id, from_statuses, values)


def subcloud_destroy(context, subcloud_id):
    """Delete a subcloud and (by cascade) its status rows, unconditionally; SubcloudNotFound."""
    return _subclouds.subcloud_destroy(context, subcloud_id)


def subcloud_get_secrets(context, subcloud_id):
    """The encrypted secrets column of a subcloud (None if none); SubcloudNotFound if absent."""
    return _subclouds.subcloud_get_secrets(context, subcloud_id)


def subcloud_endpoint_status_get(context, subcloud_id):
    """(endpoint_type, sync_status) rows of a subcloud, ordered by endpoint type."""
    return _subclouds.subcloud_endpoint_status_get(context, subcloud_id)


def subcloud_endpoint_status_update(context, subcloud_id, statuses):
    """Set endpoint statuses ({endpoint type: status}; key None = every endpoint not named;
    status None = leave that one as it is) and
    recompute the subcloud's aggregate ``sync_status``: all in-sync -> in-sync, any out-of-sync ->
    out-of-sync, otherwise unknown. SubcloudNotFound."""
    return _subclouds.subcloud_endpoint_status_update(context, subcloud_id, statuses)


# Services: the heartbeat of each running service, e.g. every manager (by host): what tells a
# live manager from a dead one. Times are naive UTC, by the database's clock.

def service_heartbeat(context, host, binary, now=None):
    """Record that ``binary`` runs on ``host`` now (``now``: that time instead of the database's
    clock); creates the service's row on its first heartbeat."""
    return _services.service_heartbeat(context, host, binary, now)


def service_get_all(context, binary=None):
    """(host, binary, created_at, updated_at) of every service (only ``binary``'s, if given),
    ordered by host; ``updated_at`` is the last heartbeat."""
    return _services.service_get_all(context, binary)


# Token cache (identity layer, database backend). Times are naive UTC.

def token_cache_get(context, key_hash):
    """The row holding a token for ``key_hash``, or None (no row, or no token in it)."""
    return _token_cache.token_cache_get(context, key_hash)


def token_cache_get_many(context, key_hashes):
    """``token_cache_get`` of many keys in one query: {key_hash: row or None}."""
    return _token_cache.token_cache_get_many(context, key_hashes)


def token_cache_write_many(context, operations):
    """Several token cache writes in one transaction, in order; their results, in order.

    ``operations``: ``(name, args)`` pairs, name ``acquire_lease`` (args as
    ``token_cache_acquire_lease`` after the context) or ``put`` (args as ``token_cache_put``,
    all six). One failing makes the whole transaction fail (nothing of it is written).
    """
    return _token_cache.token_cache_write_many(context, operations)


def token_cache_put(context, key_hash, ciphertext, token_digest, expires_at, release_lease=False):
    """Store an (encrypted) token for ``key_hash``, replacing any other; with ``release_lease``,
    give up the renewal lease in the same write."""
    return _token_cache.token_cache_put(context, key_hash, ciphertext, token_digest,
                                        expires_at, release_lease)


def token_cache_delete(context, key_hash, token_digest):
    """Drop the token of ``key_hash`` only if it is still the one with ``token_digest``."""
    return _token_cache.token_cache_delete(context, key_hash, token_digest)


def token_cache_acquire_lease(context, key_hash, now, until):
    """Compare-and-set the renewal lease of ``key_hash`` (free or lapsed -> ours until ``until``).

    Returns ``(granted, current)``: granted is False when another process holds the lease;
    current is the stored token at that moment (as ``token_cache_get`` gives it) or None.
    """
    return _token_cache.token_cache_acquire_lease(context, key_hash, now, until)


def token_cache_release_lease(context, key_hash):
    """Free the renewal lease of ``key_hash``."""
    return _token_cache.token_cache_release_lease(context, key_hash)


def token_cache_purge(context, now):
    """Delete expired tokens whose lease is free; returns how many rows went."""
    return _token_cache.token_cache_purge(context, now)


# Subcloud audit and alarm summary (see dcmanager.db.sqlalchemy.audit)
#
# A claim is (audit_owner, audit_lease_until) on the subcloud row: one token per dispatched batch.
# Times are naive UTC. ``due_before`` is ``now - [audit] interval``.

def subcloud_audit_due(context, now, due_before, limit):
    """Ids of at most ``limit`` subclouds due for an audit, never-audited and oldest first.

    Due: a deploy status in ``states.AUDITABLE_DEPLOY_STATES`` (not offline in
    ``NOT_AUDITED_WHEN_OFFLINE``), last audited at or before ``due_before`` (or never), and no live
    claim on it.
    """
    return _audit.subcloud_audit_due(context, now, due_before, limit)


def subcloud_audit_claim(context, subcloud_ids, owner, now, until, due_before):
    """Claim for ``owner`` until ``until`` those of ``subcloud_ids`` that are still due.

    One compare-and-set UPDATE (rows with a live lease do not match), then the ids ``owner`` now
    holds, sorted: two claimers never both get a subcloud, in threads or processes alike.
    """
    return _audit.subcloud_audit_claim(context, subcloud_ids, owner, now, until, due_before)


def subcloud_audit_release(context, owner, subcloud_ids=None):
    """Give up ``owner``'s claims (on ``subcloud_ids`` only, if given); returns how many."""
    return _audit.subcloud_audit_release(context, owner, subcloud_ids)


def subcloud_audit_get_claimed(context, subcloud_ids, owner, now):
    """The rows (by id) of those of ``subcloud_ids`` that ``owner`` holds a live claim on and
    that are still auditable; the others are left out (the claim lapsed or passed to another
    owner: the caller must leave them alone)."""
    return _audit.subcloud_audit_get_claimed(context, subcloud_ids, owner, now)


def subcloud_audit_renew(context, subcloud_ids, owner, now, until):
    """Extend ``owner``'s live claims on ``subcloud_ids`` until ``until``; the ids renewed (a
    claim that is no longer live is not)."""
    return _audit.subcloud_audit_renew(context, subcloud_ids, owner, now, until)


def subcloud_audit_finish(context, now, results):
    """Write audit results and give up their claims, all in one transaction.

    ``results``: dicts of ``id``, ``owner`` (the claim's token), ``availability_status``,
    ``audit_fail_count``, ``touch`` (bump ``updated_at``: a change the API should show),
    ``endpoints_unknown`` (every endpoint status and the aggregate sync status become
    ``unknown``) and ``alarms`` (the alarm summary to store, a dict of its five columns, or
    None), optionally ``audited_at`` (when that audit began). ``last_audit_at`` becomes
    ``audited_at``, or ``now`` without it. A result is written only if its owner still holds
    the claim and the subcloud is still auditable; otherwise only the release of a claim that
    owner still holds is. Returns the (id, owner) pairs written.
    """
    return _audit.subcloud_audit_finish(context, now, results)


def alarm_summary_create(context, subcloud_id, values):
    """Insert the alarm summary of a subcloud that has none (one just created)."""
    return _audit.alarm_summary_create(context, subcloud_id, values)


def alarm_summary_set(context, subcloud_id, values):
    """Create or replace a subcloud's alarm summary (the uuid is made once, at creation).

    ``values``: critical_alarms, major_alarms, minor_alarms, warnings, cloud_status.
    SubcloudNotFound if there is no such subcloud.
    """
    return _audit.alarm_summary_set(context, subcloud_id, values)


def alarm_summary_get_all(context):
    """Every alarm summary with its subcloud's name: (row, name) pairs, by id descending."""
    return _audit.alarm_summary_get_all(context)


def alarm_summary_list_texts(context):
    """What ``GET /v1.0/alarms`` lists, each summary's row as JSON text (ASCII bytes), byte for
    byte what ``json.dumps`` writes of ``dcmanager.api.views.alarm_row``, by summary id
    descending: one query of the stored rows (``dcmanager.common.subcloud_json``), possibly one
    text of them all joined by ', '. None when this database does not keep them (then use
    alarm_summary_list_rows)."""
    return _list_rows.alarm_summary_list_texts(context)


def alarm_summary_list_rows(context):
    """Read-only rows (subcloud name, uuid, critical_alarms, major_alarms, minor_alarms,
    warnings, cloud_status), in that order, by summary id descending, from one SELECT and
    without an ORM object per summary: what a list of thousands of subclouds needs."""
    return _audit.alarm_summary_get_all(
        context, columns=('uuid', 'critical_alarms', 'major_alarms', 'minor_alarms', 'warnings',
                          'cloud_status'))
