"""Subcloud peer group operations: what an operator, or the peer site, may do to a group here.

A group created here by an operator is primary (priority 0) and led by this site. Only its
leader's operators may change it; a non-primary copy (priority > 0) is the peer site's copy of a
group it leads: the peer site alone (``as_peer``, the API checked its role) writes it, and it
never writes a primary group of this site.
"""

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import exception, states

LOG = logging.getLogger(__name__)


def create(context, group):
    local = objects.LocalSystem.get(context)
    group.group_priority = 0
    group.system_leader_id = local.system_uuid
    group.system_leader_name = local.system_name
    group.create(context)
    LOG.info('Created subcloud peer group %(id)s (%(name)s, %(uuid)s)',
             {'id': group.id, 'name': group.peer_group_name, 'uuid': group.peer_group_uuid})
    return group


def create_copy(context, group):
    """Store the peer site's copy ``group`` (non-primary), led by a system peer of this site."""
    try:
        leader = objects.SystemPeer.get_by_ref(context, group.system_leader_id)
    except exception.SystemPeerNotFound:
        raise exception.InvalidInput(
            reason='Invalid system-leader-id [%s]: no system peer of this site has this UUID'
                   % group.system_leader_id) from None
    group.system_leader_id = leader.peer_uuid
    group.create(context)
    LOG.info('Created the copy %(id)s (%(name)s, %(uuid)s, priority %(priority)s) of a peer '
             'group led by %(leader)s', {'id': group.id, 'name': group.peer_group_name,
                                         'uuid': group.peer_group_uuid,
                                         'priority': group.group_priority,
                                         'leader': leader.peer_name})
    return group


def check_writer(context, group, as_peer):
    """The peer site writes its copies only; this site's operators the groups it leads."""
    if as_peer:
        if group.is_primary():
            raise exception.SubcloudPeerGroupIsPrimary(name=group.peer_group_name)
        return
    check_led_here(context, group)


def led_here(group, local):
    """True if ``local`` (the LocalSystem) is the group's leader."""
    return (group.system_leader_id or '').lower() == local.system_uuid.lower()


def check_led_here(context, group):
    """SubcloudPeerGroupNotPrimary for a non-primary copy, SubcloudPeerGroupNotLed for a group
    another site leads (after a migration)."""
    if not group.is_primary():
        raise exception.SubcloudPeerGroupNotPrimary()
    if not led_here(group, objects.LocalSystem.get(context)):
        raise exception.SubcloudPeerGroupNotLed(
            name=group.peer_group_name, leader=group.system_leader_name or group.system_leader_id)


def update(context, group, as_peer=False):
    current = objects.SubcloudPeerGroup.get_by_id(context, group.id)
    check_writer(context, current, as_peer)
    if 'leader_term' in group.obj_what_changed() and group.leader_term < current.leader_term:
        # The peer site's view of the leadership is older than this copy's (fenced in full
        # by the migrations' compare-and-set).
        raise exception.LeaderTermStale(name=current.peer_group_name, term=group.leader_term,
                                        current=current.leader_term)
    changed = sorted(group.obj_what_changed())
    group.save(context)
    LOG.info('Updated subcloud peer group %(id)s: %(fields)s',
             {'id': group.id, 'fields': ', '.join(changed) or 'nothing'})
    return group


def delete(context, group_id, as_peer=False):
    group = objects.SubcloudPeerGroup.get_by_id(context, group_id)
    if as_peer or not group.is_primary():
        # A primary group is this site's operators' to delete; a copy is the peer site's.
        check_writer(context, group, as_peer)
    group.destroy(context)
    LOG.info('Deleted subcloud peer group %s', group_id)


def audit_copy(context, group_id, view, host):
    """Take the leader site's ``view`` of the group (PATCH .../audit) into its copy here: its
    leader, leader term, migration status and state, under the lease of the group's audit
    (PeerGroupAuditInProgress while another audit of it runs). A view with an older term than
    the copy's is LeaderTermStale (its sender no longer leads the group), one naming another
    leader in the copy's own term LeaderConflict; the sender must be the leader it names, and
    one of this site's system peers."""
    group = objects.SubcloudPeerGroup.get_by_id(context, group_id)
    if not group.is_primary() or view['leader_term'] <= group.leader_term:
        # A primary group here is written by the peer only to fence it (a newer term).
        check_writer(context, group, as_peer=True)
    if view['peer_uuid'].lower() != view['system_leader_id'].lower():
        raise exception.InvalidInput(reason='Invalid peer_uuid: the audit of a copy is sent by '
                                            'the site that leads the group')
    try:
        objects.SystemPeer.get_by_ref(context, view['peer_uuid'])
    except exception.SystemPeerNotFound:
        raise exception.InvalidInput(reason='Invalid peer_uuid: no system peer of this site has '
                                            'this UUID') from None
    with objects.SubcloudPeerGroup.audit_lease(
            context, group_id, host, objects.SubcloudPeerGroup.AUDIT_LEASE_SECONDS) as held:
        if not held:
            raise exception.PeerGroupAuditInProgress(name=group.peer_group_name)
        group = objects.SubcloudPeerGroup.get_by_id(context, group_id)
        if group.is_primary() and view['leader_term'] <= group.leader_term:
            raise exception.SubcloudPeerGroupIsPrimary(name=group.peer_group_name)
        _take_view(context, group, view)
        if view.get('migration_status') == states.MIGRATION_MIGRATING:
            release_members(context, group)
    return {'message': None}


# The members a site holds as its own that a migration elsewhere takes over.
_RELEASED = (states.DEPLOY_COMPLETE, states.DEPLOY_REHOME_FAILED,
             states.DEPLOY_REHOME_PREP_FAILED)


def release_members(context, group):
    """Another site migrates the group: its members held here as this site's own are released
    (unmanaged, ``rehome-pending``) in one statement; this site's audit makes them
    ``secondary``, or ``rehome-failed``, once the migration is complete there."""
    released = objects.Subcloud.transition_members(
        context, group.id, _RELEASED, states.DEPLOY_REHOME_PENDING,
        management_state=states.UNMANAGED)
    if released:
        LOG.warning('Peer group %(name)s is being migrated to %(leader)s: %(n)d subcloud(s) '
                    'released here (unmanaged, rehome-pending)',
                    {'name': group.peer_group_name, 'n': released,
                     'leader': group.system_leader_name})


def _take_view(context, group, view):
    if view['leader_term'] < group.leader_term:
        raise exception.LeaderTermStale(name=group.peer_group_name, term=view['leader_term'],
                                        current=group.leader_term)
    if view['leader_term'] == group.leader_term and \
            view['system_leader_id'].lower() != (group.system_leader_id or '').lower():
        raise exception.LeaderConflict(name=group.peer_group_name, term=group.leader_term,
                                       leader=group.system_leader_name or group.system_leader_id)
    changes = {'system_leader_id': view['system_leader_id'].lower(),
               'system_leader_name': view['system_leader_name'],
               'leader_term': view['leader_term']}
    if 'group_state' in view:
        changes['group_state'] = view['group_state']
    if 'migration_status' in view:
        status = view['migration_status']
        changes['migration_status'] = None if status in (None, 'none') else status
    changed = sorted(name for name, value in changes.items()
                     if getattr(group, name) != value)
    for name in changed:
        setattr(group, name, changes[name])
    if changed:
        group.save(context)
        LOG.info('Peer group %(name)s (copy): %(fields)s from its leader\'s audit',
                 {'name': group.peer_group_name, 'fields': ', '.join(changed)})
