"""The database interface of geo-redundancy: the local system, the system peers, the subcloud
peer groups and their associations, the watch of the peer sites and the site's alarms.

The same rules as ``dcmanager.db.api`` (of which this is the other half): every function takes
the request context first and runs in one transaction (or joins ``db_api.transaction``); readers
of one row raise the resource's ``NotFound``; writers translate constraint violations into the
project's exceptions.
"""

from dcmanager.db.sqlalchemy import associations as _associations
from dcmanager.db.sqlalchemy import peer_groups as _peer_groups
from dcmanager.db.sqlalchemy import peer_monitor as _monitor
from dcmanager.db.sqlalchemy import system_peers as _peers

# The local system and system peers

def local_system_get(context):
    """The local system's row, or None before the first start."""
    return _peers.local_system_get(context)


def local_system_create(context, system_uuid, system_name):
    """Create the local system's row unless it exists; returns the stored row."""
    return _peers.local_system_create(context, system_uuid, system_name)


def local_system_rename(context, system_name):
    return _peers.local_system_rename(context, system_name)


def system_peer_get(context, peer_id):
    """The system peer with this id, or SystemPeerNotFound."""
    return _peers.system_peer_get(context, peer_id)


def system_peer_get_by_uuid(context, peer_uuid):
    return _peers.system_peer_get_by_uuid(context, peer_uuid)


def system_peer_get_by_name(context, name):
    return _peers.system_peer_get_by_name(context, name)


def system_peer_get_all(context):
    """Every system peer, ordered by id."""
    return _peers.system_peer_get_all(context)


def system_peer_create(context, values):
    """Insert a system peer; SystemPeerExists if its UUID or name is taken."""
    return _peers.system_peer_create(context, values)


def system_peer_update(context, peer_id, values, out_of_sync=False):
    """Apply ``values`` (SystemPeerExists on a taken UUID or name); with ``out_of_sync`` mark
    the peer's associations out-of-sync in the same transaction. Returns (peer, their ids)."""
    return _peers.system_peer_update(context, peer_id, values, out_of_sync=out_of_sync)


def system_peer_destroy(context, peer_id):
    """Delete the peer; SystemPeerAssociated while an association uses it."""
    _peers.system_peer_destroy(context, peer_id)


def system_peer_peer_groups(context, peer_id):
    """The peer groups associated with the peer."""
    return _peers.system_peer_peer_groups(context, peer_id)


# Subcloud peer groups

def peer_group_get(context, group_id):
    """The peer group with this id, or SubcloudPeerGroupNotFound."""
    return _peer_groups.peer_group_get(context, group_id)


def peer_group_get_by_uuid(context, peer_group_uuid):
    """The group with this (lower-case) peer_group_uuid, or SubcloudPeerGroupNotFound."""
    return _peer_groups.peer_group_get_by_uuid(context, peer_group_uuid)


def peer_group_get_by_name(context, name):
    return _peer_groups.peer_group_get_by_name(context, name)


def peer_group_get_all(context):
    """Every peer group, ordered by id."""
    return _peer_groups.peer_group_get_all(context)


def peer_group_create(context, values):
    """Insert a peer group; SubcloudPeerGroupNameTaken if the name is in use."""
    return _peer_groups.peer_group_create(context, values)


def peer_group_update(context, group_id, values):
    return _peer_groups.peer_group_update(context, group_id, values)


def peer_group_destroy(context, group_id):
    """Delete the group and detach its members; SubcloudPeerGroupAssociated while an
    association uses it."""
    _peer_groups.peer_group_destroy(context, group_id)


def peer_group_status(context, group_id):
    """The counters of the group's members (total, complete, waiting_for_migrate, ...)."""
    return _peer_groups.peer_group_status(context, group_id)


def peer_group_has_associations(context, group_id):
    return _peer_groups.peer_group_has_associations(context, group_id)


# One audit of a group at a time on the site: a lease (``audit_owner``, ``audit_lease_until``)
# on the group row, taken by a token of one claim. Times are naive UTC.

def peer_group_claim_audit(context, group_id, owner, now, until):
    """True if ``owner`` holds the lease of the group's audit until ``until``."""
    return _peer_groups.peer_group_claim_audit(context, group_id, owner, now, until)


def peer_group_release_audit(context, group_id, owner):
    return _peer_groups.peer_group_release_audit(context, group_id, owner)


# A migration is owned by the manager that runs it (``migration_owner``); it starts with the
# fence (the group's term raised, this site its leader) in one compare-and-set.

def peer_group_start_migration(context, group_id, owner, term, values):
    """True if the migration started: ``migrating``, owned by ``owner``, in leader term
    ``term`` (the group's was ``term - 1``) with the leadership ``values``."""
    return _peer_groups.peer_group_start_migration(context, group_id, owner, term, values)


def peer_group_end_migration(context, group_id, owner):
    """True if ``owner``'s migration of the group is now ``complete``."""
    return _peer_groups.peer_group_end_migration(context, group_id, owner)


def peer_group_recover_migrations(context, recoveries, host, binary, down_time, at_start=False):
    return _peer_groups.peer_group_recover_migrations(context, recoveries, host, binary,
                                                      down_time, at_start=at_start)


def peer_group_followed_migration_complete(context, group_id, term, leader_id):
    """True if the followed migration (``leader_id``'s, in ``term``) is now ``complete``
    here."""
    return _peer_groups.peer_group_followed_migration_complete(context, group_id, term,
                                                               leader_id)


def peer_group_follow(context, group_id, term, values):
    """Write the leadership of the newer ``term``; False if the group's term is not older."""
    return _peer_groups.peer_group_follow(context, group_id, term, values)


# Peer group associations

def association_get(context, association_id):
    """The association with this id, or PeerGroupAssociationNotFound."""
    return _associations.association_get(context, association_id)


def association_get_all(context, peer_group_id=None):
    """Every association ordered by id, optionally only one peer group's."""
    return _associations.association_get_all(context, peer_group_id=peer_group_id)


def association_create(context, values, owner=None):
    """Insert an association (PeerGroupAssociationExists for a taken pair); a ``syncing`` one
    is owned by ``owner``."""
    return _associations.association_create(context, values, owner=owner)


def association_update(context, association_id, values, owner=None, not_syncing=False):
    """Apply ``values``; with ``not_syncing`` only while no sync runs."""
    return _associations.association_update(context, association_id, values, owner=owner,
                                            not_syncing=not_syncing)


def association_update_owned(context, association_id, owner, created_at, values):
    """Apply ``values`` only while the association created at ``created_at`` (an id may be
    given again to a new row after a delete) is ``syncing`` and ``owner`` runs its sync (a
    ``sync_status`` other than ``syncing`` clears the owner); True if written."""
    return _associations.association_update_owned(context, association_id, owner, created_at,
                                                  values)


def association_destroy_leaving_cleanup(context, association_id, peer_group_uuid,
                                        peer_group_name):
    """Delete the association (a forced delete: its peer site could not be reached) and record
    in the same transaction that the peer still holds the copies of the group
    ``peer_group_uuid``; PeerGroupAssociationNotFound."""
    return _associations.association_destroy_leaving_cleanup(
        context, association_id, peer_group_uuid, peer_group_name)


def peer_cleanup_get_all(context, system_peer_id=None):
    """The recorded cleanups (of one system peer), oldest first."""
    return _associations.peer_cleanup_get_all(context, system_peer_id=system_peer_id)


def peer_cleanup_done(context, cleanup_id):
    """Forget a cleanup once the copies are gone from the peer."""
    _associations.peer_cleanup_done(context, cleanup_id)


def association_destroy(context, association_id):
    """Delete the association (a sync that runs stops at its next step)."""
    _associations.association_destroy(context, association_id)


def association_recover_syncing(context, recoveries, host, binary, down_time, at_start=False):
    """Move the syncs dead managers left to their recovery target; returns how many."""
    return _associations.association_recover_syncing(context, recoveries, host, binary,
                                                     down_time, at_start=at_start)


# Watching the peer sites, and the site's alarms

def system_peer_watched(context):
    """(id, heartbeat_interval) of the system peers that have an association."""
    return _monitor.watched_peers(context)


def system_peer_claim_heartbeat(context, peer_id, interval, owner, now, lease_until):
    """Take the watch of the peer (lease until ``lease_until``) when its heartbeat is due at
    ``now``, the next one due ``interval`` seconds later; True if ``owner`` is to run it."""
    return _monitor.claim_heartbeat(context, peer_id, interval, owner, now, lease_until)


def system_peer_record_heartbeat(context, peer_id, owner, success):
    """Count a heartbeat's result if ``owner`` still watches the peer: (consecutive failures,
    availability), or None."""
    return _monitor.record_heartbeat(context, peer_id, owner, success)


def system_peer_set_availability(context, peer_id, owner, availability, message=None):
    """Move the peer ``owner`` watches to ``availability`` and its primary associations with
    it (``message`` their sync message when it is lost), in one transaction; True if moved."""
    return _monitor.set_peer_availability(context, peer_id, owner, availability, message)


def system_peer_release_watch(context, peer_id, owner):
    """Give up the watch of the peer."""
    _monitor.release_watch(context, peer_id, owner)


def site_alarm_raise(context, alarm_id, entity, severity, reason, repair):
    """Raise or update a site alarm; True if it was not raised before."""
    return _monitor.alarm_raise(context, alarm_id, entity, severity, reason, repair)


def site_alarm_clear(context, alarm_id, entity):
    """Clear a site alarm; True if it was raised."""
    return _monitor.alarm_clear(context, alarm_id, entity)


def site_alarm_get_all(context):
    """Every raised site alarm, oldest first."""
    return _monitor.alarm_get_all(context)
