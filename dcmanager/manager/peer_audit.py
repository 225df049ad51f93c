"""The peer-group audit of this site's side: what the heartbeat alone does not repair.

Every ``[peer] audit_interval`` seconds, and at once when a peer site answers again, for each
peer site that is ``available``, each group with a primary association with it is audited
under the lease of the group's audit (one audit of a group at a time on the site, whichever
manager runs it; the peer's ``PATCH .../audit`` here takes the same lease):

- a group this site leads tells its copy there its leader, leader term, migration status and
  state (``PATCH .../audit``), then compares the copy's members with its own, by region: a
  member missing there, or a copy there of a subcloud that left the group, makes the
  association ``out-of-sync`` (synced again below); a copy there that is not a secondary copy
  (both sites hold the subcloud as their own) makes it ``failed``, naming them. A copy gone
  there makes the association ``out-of-sync`` (the next sync makes it again).
- a group the peer leads now (its copy has a newer term: it refused our view, or we learned it
  before) takes the peer's leadership here (a compare-and-set on the term): this site's
  operators and syncs no longer write it, and the association is ``failed``, saying so.
- the alarm 280.005 is raised while a group this site is the preferred site of (priority 0
  here) is led by another site, and cleared when this site leads it again or it is gone.
- a primary association left ``out-of-sync`` is synced again: the request is the same
  compare-and-set as an operator's ``sync`` (``syncing``, owned by this manager).
- the copies a forced delete left on the peer (``peer_cleanup``) are removed there; the record
  goes only once they are gone.
- a group this site leads with an association to a peer that is not ``available`` or did not
  answer its audit (down, hung, cut off: it may have migrated the group meanwhile, fenced by a
  newer term this site cannot learn yet) has its members asked where they point
  (``peer_witness``): the ones rehomed to another system controller are released here, so the
  two sites do not both manage them. (A target that could not fence this site waits two audit
  intervals before it manages what it rehomed: ``migration``.)

When the manager starts (``confirm_at_start``), before anything here audits or manages a
subcloud, each peer with an association is audited once whatever its last known availability:
a site that was down (or cut off) while its peer migrated a group learns the newer term and
steps down before it manages the members again, instead of managing them, as the peer does,
until its first periodic audit. A peer that does not answer then is treated as above: the
members witness. So this site never manages a member the peer rehomed, whether the peer answers
or not; holding every member unmanaged until the peer answers would be safe too, but would leave
a site whose peer is lost for good managing nothing after a restart, and a failover exists for
exactly that case.

Nothing is deleted on an empty or unreadable answer: the audit only changes statuses, the
sync deletes only the copies the peer lists, and the cleanup record stays when anything failed.
"""

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import context as dc_context
from dcmanager.common import exception, states
from dcmanager.drivers import peer as peer_driver
from dcmanager.manager import peer_groups, peer_sync, peer_witness
from dcmanager.objects import site_alarm, system_peer

LOG = logging.getLogger(__name__)

# Names a status message lists at most.
_LISTED = 10


def _names(names):
    names = sorted(names)
    more = ' and %d more' % (len(names) - _LISTED) if len(names) > _LISTED else ''
    return ', '.join(names[:_LISTED]) + more


class PeerAudit:
    """This manager's audit of its associations and of the cleanups left on peer sites."""

    def __init__(self, syncer, subcloud_pool):
        self.syncer = syncer
        # The subclouds' pool: they are asked where they point (peer_witness).
        self.subcloud_pool = subcloud_pool

    def confirm_at_start(self):
        """Audit once each peer with an association, whatever its last known availability, or
        ask the members of the groups led here where they point when it does not answer:
        called when the manager starts, before anything here audits or manages a subcloud."""
        context = dc_context.get_admin_context()
        associated = {a.system_peer_id for a in objects.PeerGroupAssociation.list(context)}
        for peer in objects.SystemPeer.list(context):
            if peer.id not in associated:
                continue
            try:
                _waiting, unanswered, busy = self._groups(context, peer)
                # Busy at start: held by a run of this site that is gone, or by another
                # manager; either way not confirmed here.
                unconfirmed = unanswered | busy
            except Exception:
                LOG.exception('The audit at start of system peer %s failed', peer.peer_name)
                unconfirmed = None
            if unconfirmed:
                self._witness(context, peer, unconfirmed)
            LOG.info('Peer groups associated with %s confirmed at start%s', peer.peer_name,
                     '' if not unconfirmed else ' (%d by their subclouds: the peer did not '
                     'answer)' % len(unconfirmed))

    def run(self, peer_id=None):
        """Audit every available peer (the periodic task), or only ``peer_id``; of the other
        peers, the members of the groups led here witness (``peer_witness``)."""
        context = dc_context.get_admin_context()
        for peer in objects.SystemPeer.list(context):
            if peer_id is not None and peer.id != peer_id:
                continue
            if peer.availability_state != states.PEER_AVAILABLE:
                try:
                    self._witness(context, peer)
                except Exception:
                    LOG.exception('The subclouds of the peer groups associated with %s were '
                                  'not asked where they point', peer.peer_name)
                continue
            try:
                waiting, unanswered, _busy = self._groups(context, peer)
                if unanswered:
                    # It stopped answering before its heartbeat says so: the members tell.
                    self._witness(context, peer, unanswered)
                self._resync(context, peer, waiting)
                self._cleanup(context, peer)
            except Exception:
                LOG.exception('The audit of system peer %s failed', peer.peer_name)
        try:
            _clear_alarms_of_gone_groups(context)
        except Exception:
            LOG.exception('The alarms of deleted peer groups were not cleared')

    def _witness(self, context, peer, association_ids=None):
        """The members of the groups led here and associated with ``peer`` (those of
        ``association_ids`` only, if given) are asked where they point; the ones rehomed
        elsewhere are released."""
        local = objects.LocalSystem.get(context)
        for association in objects.PeerGroupAssociation.list(context):
            if association.system_peer_id != peer.id or (
                    association_ids is not None and association.id not in association_ids):
                continue
            try:
                group = objects.SubcloudPeerGroup.get_by_id(context, association.peer_group_id)
            except exception.SubcloudPeerGroupNotFound:
                continue
            if peer_groups.led_here(group, local) and \
                    group.migration_status != states.MIGRATION_MIGRATING:
                peer_witness.release_rehomed_elsewhere(context, self.subcloud_pool, group)

    def _groups(self, context, peer):
        """Audit the groups associated with ``peer``: the ids of the associations waiting for
        the peer to step members down, of those not audited because the peer stopped
        answering, and of those another audit of the group held."""
        associations = [a for a in objects.PeerGroupAssociation.list(context)
                        if a.system_peer_id == peer.id]
        if not associations:
            return set(), set(), set()
        local = objects.LocalSystem.get(context)
        client = peer_driver.PeerClient(self.syncer.pool, peer.manager_endpoint,
                                        peer.manager_username,
                                        objects.SystemPeer.get_password(context, peer.id))
        waiting, busy = set(), set()
        unanswered = {a.id for a in associations}
        for association in associations:
            with objects.SubcloudPeerGroup.audit_lease(
                    context, association.peer_group_id, self.syncer.host,
                    objects.SubcloudPeerGroup.AUDIT_LEASE_SECONDS) as held:
                if not held:
                    unanswered.discard(association.id)
                    busy.add(association.id)
                    continue  # another manager audits it now
                audit = (_GroupAudit if association.is_primary() else _CopyAudit)(
                    context, client, peer, local, association)
                try:
                    audit.run()
                except (exception.SubcloudPeerGroupNotFound,
                        exception.PeerGroupAssociationNotFound):
                    unanswered.discard(association.id)
                    continue  # deleted meanwhile
                except exception.OutboundError as e:
                    LOG.warning('The audit of the peer groups on %s stopped: %s',
                                peer.peer_name, e)
                    return waiting, unanswered, busy  # the peer stopped answering
                unanswered.discard(association.id)
                if audit.waiting:
                    waiting.add(association.id)
        return waiting, unanswered, busy

    def _resync(self, context, peer, waiting=()):
        """Sync again the primary associations left out-of-sync, but those ``waiting`` for the
        peer to step down members this site holds now (a sync would fail on them) and those of
        a group migrating here (its end syncs it)."""
        local = objects.LocalSystem.get(context)
        for association in objects.PeerGroupAssociation.list(context):
            if association.system_peer_id != peer.id or not association.is_primary() or \
                    association.sync_status != states.ASSOCIATION_SYNC_OUT_OF_SYNC or \
                    association.id in waiting:
                continue
            group = objects.SubcloudPeerGroup.get_by_id(context, association.peer_group_id)
            if not peer_groups.led_here(group, local):
                continue  # the leader syncs it
            if group.migration_status == states.MIGRATION_MIGRATING:
                continue  # its members are being rehomed here: the migration's end syncs it
            association.sync_status = states.ASSOCIATION_SYNC_SYNCING
            association.sync_message = None
            try:
                association.save(context, owner=self.syncer.host, not_syncing=True)
            except (exception.PeerGroupAssociationBusy,
                    exception.PeerGroupAssociationNotFound):
                continue  # another manager's sync, or deleted meanwhile
            LOG.info('Peer group association %s is out-of-sync: synced again by the audit',
                     association.id)
            self.syncer.submit(context, association)

    def _cleanup(self, context, peer):
        for row in objects.PeerGroupAssociation.pending_cleanups(context, peer.id):
            group = objects.SubcloudPeerGroup(peer_group_uuid=row.peer_group_uuid,
                                              peer_group_name=row.peer_group_name)
            try:
                peer_sync.remove_copies_of(context, self.syncer.pool, peer, group)
            except exception.PeerCleanupFailed as e:
                LOG.warning('The copies of peer group %s on %s are still there: %s',
                            row.peer_group_name, peer.peer_name, e)
                continue
            objects.PeerGroupAssociation.cleanup_done(context, row.id)
            LOG.info('The copies of peer group %s left on %s by a forced delete are gone',
                     row.peer_group_name, peer.peer_name)


class _GroupAudit:
    """The audit of one group with a primary association, under the group's audit lease."""

    def __init__(self, context, client, peer, local, association):
        self.context, self.client, self.peer, self.local = context, client, peer, local
        # Read again under the lease: what the audit compares is the current state.
        self.association = objects.PeerGroupAssociation.get_by_id(context, association.id)
        self.group = objects.SubcloudPeerGroup.get_by_id(context, association.peer_group_id)
        self.path = 'subcloud-peer-groups/%s' % self.group.peer_group_uuid
        # Members the peer has not stepped down yet: no sync until it has.
        self.waiting = False

    def run(self):
        try:
            if peer_groups.led_here(self.group, self.local):
                self._lead()
            else:
                self._follow()
        finally:
            # Of this site's state only: said even when the peer does not answer.
            self._priority_alarm()

    def _lead(self):
        if self.association.sync_status == states.ASSOCIATION_SYNC_SYNCING:
            return  # the sync under way writes the copy
        group = self.group
        view = {'peer_uuid': self.local.system_uuid, 'peer_group_name': group.peer_group_name,
                'group_priority': group.group_priority, 'group_state': group.group_state,
                'system_leader_id': group.system_leader_id,
                'system_leader_name': group.system_leader_name,
                'migration_status': group.migration_status or 'none',
                'leader_term': group.leader_term}
        try:
            self.client.patch(self.path + '/audit', view)
        except exception.TargetNotFound:
            self._mark(states.ASSOCIATION_SYNC_OUT_OF_SYNC,
                       'The copy of peer group %s is not on %s: the next sync makes it again.'
                       % (group.peer_group_name, self.peer.peer_name))
            return
        except exception.StaleLeaderTerm as e:
            self._follow(refused=e.reason)
            return
        self._compare_members()

    def _compare_members(self):
        try:
            rows = self.client.get(self.path + '/subclouds')['subclouds']
            copies = {row['region-name']: row for row in rows}
        except (KeyError, TypeError) as e:
            LOG.warning('The members of the copy of peer group %s on %s were unreadable (%r): '
                        'compared at the next audit', self.group.peer_group_name,
                        self.peer.peer_name, e)
            return
        members = {m.region_name: m for m in objects.Subcloud.list(
            self.context, peer_group_id=self.group.id)
            if m.deploy_status not in states.SECONDARY_DEPLOY_STATES}
        # Released or failed copies there are not held as its own: its audit steps them down.
        owned = [m.name for region, m in members.items() if region in copies and
                 copies[region].get('deploy-status') not in states.SECONDARY_DEPLOY_STATES and
                 copies[region].get('deploy-status') not in _RELEASED_OR_FAILED]
        missing = [m.name for region, m in members.items() if region not in copies]
        # Held as its own here, released or failed there: the sync writes them once that site
        # has stepped them down (its audit), so the next audit tries again.
        pending = [m.name for region, m in members.items() if region in copies and
                   m.deploy_status == states.DEPLOY_COMPLETE and
                   copies[region].get('deploy-status') in _RELEASED_OR_FAILED]
        left = [str(row.get('name') or region) for region, row in copies.items()
                if region not in members and
                row.get('deploy-status') in states.SECONDARY_DEPLOY_STATES]
        site = self.peer.peer_name
        if owned:
            self._mark(states.ASSOCIATION_SYNC_FAILED,
                       'Subcloud(s) %s of peer group %s are not secondary copies on %s: both '
                       'sites hold them as their own. Check which site manages them.'
                       % (_names(owned), self.group.peer_group_name, site))
        elif missing or left or pending:
            self.waiting = bool(pending)
            parts = (['%d subcloud(s) missing there (%s)' % (len(missing), _names(missing))]
                     if missing else []) + \
                (['%d subcloud(s) not yet stepped down there (%s)' % (len(pending),
                                                                     _names(pending))]
                 if pending else []) + \
                (['%d copies of subclouds no longer in the group (%s)' % (len(left),
                                                                         _names(left))]
                 if left else [])
            self._mark(states.ASSOCIATION_SYNC_OUT_OF_SYNC,
                       'The audit found the copy on %s differs: %s; the next sync pushes it.'
                       % (site, '; '.join(parts)))

    def _follow(self, refused=None):
        """The peer leads the group (it refused our view, or we learned it before): take its
        leadership when its term is newer than ours."""
        group, site = self.group, self.peer.peer_name
        try:
            copy = self.client.get(self.path)
        except exception.TargetNotFound:
            LOG.warning('Peer group %s is led by %s, which does not hold it: nothing changed',
                        group.peer_group_name, group.system_leader_name or site)
            return
        term, leader = copy.get('leader_term'), copy.get('system_leader_id')
        if not isinstance(term, int) or isinstance(term, bool) or not isinstance(leader, str) \
                or not system_peer.is_uuid(leader):
            LOG.warning('The copy of peer group %s on %s was unreadable: nothing changed',
                        group.peer_group_name, site)
            return
        if term > group.leader_term:
            if not self._take(copy, term, leader):
                return
        elif term == group.leader_term and \
                leader.lower() != (group.system_leader_id or '').lower():
            # Same term, another leader there: neither site gives way on its own.
            self._mark(states.ASSOCIATION_SYNC_FAILED,
                       'Site %s holds peer group %s led by %s in the same leader term (%d): '
                       'the two sites disagree on its leader; nothing was written there.'
                       % (site, group.peer_group_name, copy.get('system_leader_name') or leader,
                          term))
            return
        elif refused is not None:
            LOG.warning('Site %s refused the audit of peer group %s: %s', site,
                        group.peer_group_name, refused)
        if not peer_groups.led_here(group, self.local):
            if copy.get('migration_status') == states.MIGRATION_COMPLETE:
                group.followed_migration_complete(self.context)
                self._step_down()
                self._after_migration(copy)
                return
            if copy.get('migration_status') == states.MIGRATION_MIGRATING:
                # The fence did not reach this site: its members are released now.
                peer_groups.release_members(self.context, group)
            self._not_led()

    def _take(self, copy, term, leader):
        """The copy's leadership, of a newer term, taken here; True if the audit goes on with
        it (this site follows the peer)."""
        group = self.group
        if not group.follow(self.context, leader, str(copy.get('system_leader_name') or ''),
                            term, _migration_status(copy.get('migration_status'))):
            return False  # another writer took a term at least as new meanwhile
        LOG.warning('Peer group %(name)s is led by %(leader)s in leader term %(term)d (as its '
                    'copy on %(site)s says)', {'name': group.peer_group_name, 'term': term,
                                                'site': self.peer.peer_name,
                                                'leader': group.system_leader_name or leader})
        if peer_groups.led_here(group, self.local):
            self._mark(states.ASSOCIATION_SYNC_OUT_OF_SYNC,
                       'Site %s says this site leads peer group %s in leader term %d, newer '
                       'than this site had: taken; the next sync pushes the group there.'
                       % (self.peer.peer_name, group.peer_group_name, term))
            return False
        return True

    def _step_down(self):
        """The leader's migration is complete: each member held here as this site's own
        becomes a ``secondary`` copy where the leader's copy is now its own (``complete``), or
        ``rehome-failed`` where its rehome failed there (this site can migrate it back). A
        member the leader does not list is left as it is (never deleted on an absence)."""
        try:
            rows = self.client.get(self.path + '/subclouds')['subclouds']
            theirs = {row['region-name']: row.get('deploy-status') for row in rows}
        except (KeyError, TypeError) as e:
            LOG.warning('The members of peer group %s on %s were unreadable (%r): stepped down '
                        'at the next audit', self.group.peer_group_name, self.peer.peer_name, e)
            return
        moved = {states.DEPLOY_SECONDARY: [], states.DEPLOY_REHOME_FAILED: []}
        for member in objects.Subcloud.list(self.context, peer_group_id=self.group.id):
            target = _stepped_down(member.deploy_status, theirs.get(member.region_name))
            if target is not None and objects.Subcloud.transition(
                    self.context, member.id, member.deploy_status, target,
                    management_state=states.UNMANAGED, availability_status=states.OFFLINE):
                moved[target].append(member.name)
        if any(moved.values()):
            LOG.warning('Peer group %(name)s was migrated to %(site)s: %(n)d subcloud(s) now '
                        'secondary here, %(f)d rehome-failed (%(failed)s)',
                        {'name': self.group.peer_group_name, 'site': self.peer.peer_name,
                         'n': len(moved[states.DEPLOY_SECONDARY]),
                         'f': len(moved[states.DEPLOY_REHOME_FAILED]),
                         'failed': _names(moved[states.DEPLOY_REHOME_FAILED]) or 'none'})

    def _after_migration(self, copy):
        """The leader's migration is complete and this site stepped down: the association is
        ``in-sync`` (the copies agree), or ``out-of-sync`` while the leader holds rehome data
        corrected there (its association is ``out-of-sync``: it pushes the data here once its
        members are managed and online there)."""
        if any(m.deploy_status in _OWN for m in objects.Subcloud.list(
                self.context, peer_group_id=self.group.id)):
            self._not_led()  # not stepped down yet (the leader's answer was unreadable)
            return
        try:
            rows = self.client.get('peer-group-associations')['peer_group_associations']
            theirs = {row.get('sync-status') for row in rows
                      if row.get('peer-group-id') == copy.get('id')}
        except (KeyError, TypeError, AttributeError) as e:
            LOG.warning('The associations on %s were unreadable (%r): read at the next audit',
                        self.peer.peer_name, e)
            return
        if states.ASSOCIATION_SYNC_OUT_OF_SYNC in theirs:
            self._mark(states.ASSOCIATION_SYNC_OUT_OF_SYNC,
                       'Site %s leads peer group %s and holds rehome data corrected there: it '
                       'pushes it here once its subclouds are managed and online there.'
                       % (self.peer.peer_name, self.group.peer_group_name))
        else:
            self._mark(states.ASSOCIATION_SYNC_IN_SYNC, None)

    def _not_led(self):
        group = self.group
        self._mark(states.ASSOCIATION_SYNC_FAILED,
                   'Peer group %s is led by %s now (leader term %d): this site no longer leads '
                   'it, and does not sync it.' % (group.peer_group_name,
                                                 group.system_leader_name or
                                                 group.system_leader_id, group.leader_term))

    def _priority_alarm(self):
        group = self.group
        entity = site_alarm.peer_group_entity(group.peer_group_uuid)
        if group.is_primary() and not peer_groups.led_here(group, self.local):
            leader = group.system_leader_name or group.system_leader_id
            if objects.SiteAlarm.raise_alarm(
                    self.context, site_alarm.PEER_GROUP_NOT_LED, entity, site_alarm.MAJOR,
                    'Peer group %s is led by %s (leader term %d), not by this site, its '
                    'preferred site (priority 0 here)' % (group.peer_group_name, leader,
                                                           group.leader_term),
                    'Once this site and its subclouds are stable, migrate the group back to '
                    'it: dcmanager subcloud-peer-group migrate %s' % group.peer_group_name):
                LOG.warning('Peer group %s is led by %s, not by its preferred site: alarm %s '
                            'raised', group.peer_group_name, leader,
                            site_alarm.PEER_GROUP_NOT_LED)
        elif objects.SiteAlarm.clear(self.context, site_alarm.PEER_GROUP_NOT_LED, entity):
            LOG.info('Peer group %s is led by its preferred site: alarm %s cleared',
                     group.peer_group_name, site_alarm.PEER_GROUP_NOT_LED)

    def _mark(self, status, message):
        association = self.association
        if (association.sync_status, association.sync_message) == (status, message):
            return  # said already
        association.sync_status = status
        association.sync_message = message
        try:
            association.save(self.context, not_syncing=True)
        except (exception.PeerGroupAssociationBusy, exception.PeerGroupAssociationNotFound):
            return
        LOG.warning('Peer group association %s: %s: %s', association.id, status, message)


class _CopyAudit(_GroupAudit):
    """The audit of this site's copy of a group whose primary site is the peer (a non-primary
    association). While the peer leads the group and every member here is a secondary copy,
    there is nothing to do (the peer's audit and sync write the copy). Otherwise:

    - the peer leads it in a newer term than the copy's, or the copy is led by the peer and
      members here are held as this site's own: the peer's leadership is taken, and the members
      step down once its migration is complete (as a primary site's audit does);
    - this site leads it (it migrated it) and the association is ``out-of-sync`` (rehome data
      corrected here after a failed rehome): once every member is managed and online here, their
      rehome data is pushed to the peer's secondary copies (the peer's own gateway kept), and
      the association is ``in-sync`` again; the peer's audit then says so there too.
    """

    def run(self):
        led = peer_groups.led_here(self.group, self.local)
        if not led and not any(m.deploy_status in _OWN or m.deploy_status in _FAILED_THERE
                               for m in objects.Subcloud.list(
                                   self.context, peer_group_id=self.group.id)):
            return
        try:
            copy = self.client.get(self.path)
        except exception.TargetNotFound:
            return
        term = copy.get('leader_term')
        if not led or (isinstance(term, int) and term > self.group.leader_term):
            self._follow()
        elif self.association.sync_status == states.ASSOCIATION_SYNC_OUT_OF_SYNC and \
                self.group.migration_status != states.MIGRATION_MIGRATING:
            self._push_corrections()

    def _push_corrections(self):
        members = [m for m in objects.Subcloud.list(self.context, peer_group_id=self.group.id)
                   if m.deploy_status not in states.SECONDARY_DEPLOY_STATES]
        waiting = [m.name for m in members if (m.deploy_status, m.management_state,
                                               m.availability_status) != (
            states.DEPLOY_COMPLETE, states.MANAGED, states.ONLINE)]
        site = self.peer.peer_name
        if waiting:
            self._mark(states.ASSOCIATION_SYNC_OUT_OF_SYNC,
                       'The rehome data corrected here is pushed to %s once every subcloud of '
                       'peer group %s is managed and online here (not yet: %s).'
                       % (site, self.group.peer_group_name, _names(waiting)))
            return
        try:
            failed = peer_sync.push_to_copies(self.context, self.client, self.peer,
                                              self.group, self.local, members)
        except peer_sync.SyncFailed as e:
            failed = [('(all)', e.message)]
        if failed:
            self._mark(states.ASSOCIATION_SYNC_OUT_OF_SYNC,
                       'The rehome data corrected here was not pushed to %s for %d subcloud(s) '
                       '(%s): %s; pushed again at the next audit.'
                       % (site, len(failed), _names(n for n, _ in failed), failed[0][1]))
            return
        LOG.info('The rehome data of the %d subcloud(s) of peer group %s pushed to %s',
                 len(members), self.group.peer_group_name, site)
        self._mark(states.ASSOCIATION_SYNC_IN_SYNC, None)

    def _after_migration(self, copy):
        pass  # the peer's sync and audit write this association's status

    def _not_led(self):
        pass


# What a member held here as this site's own (or released for a migration) becomes once the
# leader's migration is complete, by the leader's deploy status of it.
_OWN = frozenset((states.DEPLOY_COMPLETE, states.DEPLOY_REHOME_PENDING))
_FAILED_THERE = frozenset((states.DEPLOY_REHOME_FAILED, states.DEPLOY_REHOME_PREP_FAILED))
_RELEASED_OR_FAILED = _FAILED_THERE | {states.DEPLOY_REHOME_PENDING}


def _stepped_down(here, there):
    if there == states.DEPLOY_COMPLETE and (here in _OWN or here in _FAILED_THERE):
        return states.DEPLOY_SECONDARY
    if there in _FAILED_THERE and here in _OWN:
        return states.DEPLOY_REHOME_FAILED
    return None


def _migration_status(value):
    return value if value in (states.MIGRATION_MIGRATING, states.MIGRATION_COMPLETE) else None


def _clear_alarms_of_gone_groups(context):
    groups = {site_alarm.peer_group_entity(g.peer_group_uuid)
              for g in objects.SubcloudPeerGroup.list(context)}
    for alarm in objects.SiteAlarm.list(context):
        if alarm.alarm_id == site_alarm.PEER_GROUP_NOT_LED and alarm.entity not in groups:
            objects.SiteAlarm.clear(context, alarm.alarm_id, alarm.entity)
            LOG.info('Alarm %s of a deleted peer group cleared (%s)', alarm.alarm_id,
                     alarm.entity)
