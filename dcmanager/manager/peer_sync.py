"""The sync of a primary peer group association: this site's group, pushed to the peer site.

``associations.create/update_priority/sync`` record the association ``syncing``, owned by this
manager (``sync_owner``), and hand it here. The sync makes the peer site hold, through its API as
our user there (the peer role; ``drivers/peer.py``):

1. its system peer for this site (we do not create it: ``failed``, saying what to create);
2. its copy of the group: same UUID, the association's priority, this site as leader, the
   group's leader term;
3. the copy's non-primary association, ``syncing`` while we push;
4. a ``secondary`` copy of every member (by region name) with its bootstrap values, whose
   ``systemcontroller_gateway_address`` is the peer's (``peer_controller_gateway_ip``: never this
   site's own), and its admin password (inside the authenticated call; the peer keeps it
   encrypted), in a bounded pool of parallel pushes (``[peer] sync_pool_size``);
5. no copy of a subcloud that left the group: those are deleted there, only when the peer listed
   them and they are still ``secondary`` copies (an empty, partial or unreadable answer deletes
   nothing).

Every write there carries the group's leader term (``leader_term``, ``leader-term`` for the
group): the peer refuses one older than its copy's (the peer leads the group now), and the
sync fails, saying so.

Then ``in-sync`` on both sites, or ``failed`` with a message naming what failed. Every status
write here, progress included, is a compare-and-set on ``syncing`` owned by this manager: a
member changed meanwhile (``out-of-sync``), a new request or a delete wins, and a sync recovered
after its manager was thought dead cannot write.
"""

import concurrent.futures
import re
import threading
import time

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import context as dc_context
from dcmanager.common import exception, states
from dcmanager.conf import CONF
from dcmanager.drivers import peer as peer_driver
from dcmanager.drivers import workqueue
from dcmanager.objects import token_store

LOG = logging.getLogger(__name__)

# A copy on the peer that a sync may overwrite or delete.
_PEER_COPY_STATES = frozenset(states.SECONDARY_DEPLOY_STATES)
# At most one progress write per this many seconds.
_PROGRESS_SECONDS = 1.0
# Names of failed subclouds a message lists at most.
_LISTED = 10
# A release the peer's API takes (<major>.<minor>[.<patch>]); another is not sent.
_RELEASE = re.compile(r'[0-9]{1,4}\.[0-9]{1,4}(\.[0-9]{1,4})?')


class SyncFailed(Exception):
    """The sync stops: ``message`` is the association's ``sync-message``."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class NotSteppedDown(SyncFailed):
    """The member's copy there is one the peer released (or failed) in a migration and has not
    stepped down to a secondary copy yet (its audit does): a wait, not a failure."""


# A copy released to this site by a migration, or failed there: the peer's audit makes it
# secondary (the leader's copy being complete here).
_NOT_STEPPED_DOWN = frozenset((states.DEPLOY_REHOME_PENDING, states.DEPLOY_REHOME_FAILED,
                               states.DEPLOY_REHOME_PREP_FAILED))


def _describe(error):
    """What an operator reads of a failed call (an ``OutboundError``)."""
    return str(error)


class Syncer:
    """The manager's association syncs: a bounded queue of them (``[peer] sync_workers``),
    each pushing its members in a pool of ``[peer] sync_pool_size``."""

    def __init__(self, host):
        self.host = host
        self.queue = workqueue.WorkQueue(workers=CONF.peer.sync_workers,
                                         max_pending=CONF.peer.sync_max_pending, retry_delay=0,
                                         name='peer-sync')
        self.pool = peer_driver.acquire_pool(token_store.DatabaseTokenRecords)
        self._stopping = threading.Event()

    def submit(self, context, association):
        """Queue the sync of ``association`` (recorded ``syncing``, owned here); it is failed
        at once when the queue is full."""
        try:
            self.queue.submit(self._run, association.id)
        except exception.Overloaded as e:
            self._finish(context, association, states.ASSOCIATION_SYNC_FAILED,
                         'The manager could not take on the sync: %s; sync it again later.' % e)
        return association

    def remove_copies(self, context, association):
        """Delete what a primary association made the peer site hold: the secondary copies of
        the group's subclouds, the copy's association, the copy of the group. A peer that
        cannot be reached, or a copy that is not deleted, is PeerCleanupFailed (409): nothing
        is deleted here then, so nothing is orphaned there."""
        group = objects.SubcloudPeerGroup.get_by_id(context, association.peer_group_id)
        peer = objects.SystemPeer.get_by_id(context, association.system_peer_id)
        remove_copies_of(context, self.pool, peer, group)

    def stop(self):
        self._stopping.set()
        self.queue.stop(wait=True)
        peer_driver.release_pool(self.pool)

    # ------------------------------------------------------------------ one sync

    def _run(self, association_id):
        context = dc_context.get_admin_context()
        association = self._owned(context, association_id)
        if association is None:
            return
        try:
            self._sync(context, association)
        except SyncFailed as e:
            self._finish(context, association, states.ASSOCIATION_SYNC_FAILED, e.message)
        except Exception:
            LOG.exception('Sync of peer group association %s failed unexpectedly',
                          association_id)
            self._finish(context, association, states.ASSOCIATION_SYNC_FAILED,
                         'The sync failed unexpectedly; the manager\'s log says why.')

    def _owned(self, context, association_id):
        """The association if its sync is still this manager's to run, else None."""
        try:
            association = objects.PeerGroupAssociation.get_by_id(context, association_id)
        except exception.PeerGroupAssociationNotFound:
            return None
        if not association.is_owned_by(context, self.host):
            return None
        return association

    def _finish(self, context, association, status, message=None):
        if association.write_owned(context, self.host, sync_status=status,
                                   sync_message=message and message[:4096]):
            log = LOG.info if status == states.ASSOCIATION_SYNC_IN_SYNC else LOG.warning
            log('Peer group association %(id)s: %(status)s%(why)s',
                {'id': association.id, 'status': status,
                 'why': ': %s' % message if message else ''})

    def _sync(self, context, association):
        group = objects.SubcloudPeerGroup.get_by_id(context, association.peer_group_id)
        peer = objects.SystemPeer.get_by_id(context, association.system_peer_id)
        local = objects.LocalSystem.get(context)
        if (group.system_leader_id or '').lower() != local.system_uuid.lower():
            # Its leader syncs it (a peer took the leadership since the sync was asked for).
            raise SyncFailed('Peer group %s is led by %s: this site does not sync it.'
                             % (group.peer_group_name,
                                group.system_leader_name or group.system_leader_id))
        client = peer_driver.PeerClient(self.pool, peer.manager_endpoint, peer.manager_username,
                                        objects.SystemPeer.get_password(context, peer.id))
        push = _Push(client, peer, group, association, local)
        push.check_peer()
        push.group_copy()
        push.copy_association(states.ASSOCIATION_SYNC_SYNCING)
        members = objects.Subcloud.list(context, peer_group_id=group.id)
        members = [m for m in members if m.deploy_status not in states.SECONDARY_DEPLOY_STATES]
        push.list_copies()
        failed, waiting = self._push_members(context, association, push, members)
        pruned_failed = push.prune({m.region_name for m in members})
        failed.extend(pruned_failed)
        if waiting and not failed:
            # Right after a migration back here, before the peer's audit stepped its copies
            # down: out-of-sync, and this site's audit syncs it again once they are.
            names = sorted(waiting)
            push.copy_association_status(states.ASSOCIATION_SYNC_OUT_OF_SYNC)
            self._finish(context, association, states.ASSOCIATION_SYNC_OUT_OF_SYNC,
                         '%d subcloud(s) not yet stepped down on %s (%s%s): synced again by '
                         'the audit once they are' % (
                             len(names), peer.peer_name, ', '.join(names[:_LISTED]),
                             ' and %d more' % (len(names) - _LISTED)
                             if len(names) > _LISTED else ''))
            return
        failed.extend((name, 'its copy there is not stepped down yet') for name in waiting)
        if failed:
            names = sorted(name for name, _ in failed)
            message = ('Sync to %s failed for %d subcloud(s): %s%s. First error: %s' % (
                peer.peer_name, len(failed), ', '.join(names[:_LISTED]),
                ' and %d more' % (len(names) - _LISTED) if len(names) > _LISTED else '',
                failed[0][1]))
            push.copy_association_status(states.ASSOCIATION_SYNC_FAILED)
            raise SyncFailed(message)
        push.copy_association_status(states.ASSOCIATION_SYNC_IN_SYNC)
        self._finish(context, association, states.ASSOCIATION_SYNC_IN_SYNC)

    def _push_members(self, context, association, push, members):
        """Push every member in the pool: [(name, error text)] of those that failed, and the
        names of those whose copy the peer has not stepped down yet (``NotSteppedDown``)."""
        failed, waiting, done = [], [], 0
        last = time.monotonic()
        size = max(1, min(CONF.peer.sync_pool_size, len(members) or 1))
        with concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix='peer-push') as ex:
            futures = {ex.submit(push.member, context, m): m for m in members}
            for future in concurrent.futures.as_completed(futures):
                member = futures[future]
                error = future.exception()
                if isinstance(error, NotSteppedDown):
                    waiting.append(member.name)
                elif error is not None:
                    failed.append((member.name, _member_error(error)))
                done += 1
                if time.monotonic() - last >= _PROGRESS_SECONDS and done < len(members):
                    last = time.monotonic()
                    association.write_owned(
                        context, self.host,
                        sync_message='Syncing to %s: %d of %d subclouds pushed%s' % (
                            push.peer.peer_name, done, len(members),
                            ', %d failed' % len(failed) if failed else ''))
        return failed, waiting


def _member_error(error):
    if isinstance(error, exception.OutboundError | SyncFailed):
        return str(error)
    LOG.error('Push of a subcloud failed unexpectedly: %r', error)
    return 'unexpected error (the manager\'s log says why)'


class _Push:
    """The calls of one sync to the peer site."""

    def __init__(self, client, peer, group, association, local):
        self.client, self.peer, self.group = client, peer, group
        self.association, self.local = association, local
        self.copy = None  # the peer's copy of the group (its JSON)
        self.peer_self = None  # the peer's system peer for this site (its JSON)
        self.copy_association_id = None
        self.copies = {}  # region -> the peer's row, of the copy's subclouds

    def _fail(self, what, error):
        raise SyncFailed('%s: %s' % (what, _describe(error)))

    def check_peer(self):
        try:
            self.peer_self = self.client.heartbeat(self.local.system_uuid)
        except exception.TargetNotFound:
            raise SyncFailed(
                'Site %s has no system peer for this site: create it there (dcmanager '
                'system-peer add --peer-uuid %s --peer-name %s ...), then sync again.'
                % (self.peer.peer_name, self.local.system_uuid, self.local.system_name)) from None
        except exception.OutboundError as e:
            self._fail('Site %s could not be reached' % self.peer.peer_name, e)

    def _group_body(self):
        return {'peer-group-name': self.group.peer_group_name,
                'group-state': self.group.group_state,
                'max-subcloud-rehoming': self.group.max_subcloud_rehoming,
                'group-priority': self.association.peer_group_priority,
                'leader-term': self.group.leader_term}

    def group_copy(self):
        path = 'subcloud-peer-groups/%s' % self.group.peer_group_uuid
        try:
            try:
                found = self.client.get(path)
            except exception.TargetNotFound:
                found = None
            if found is None:
                body = dict(self._group_body(), **{
                    'system-leader-id': self.local.system_uuid,
                    'system-leader-name': self.local.system_name,
                    'peer-group-uuid': self.group.peer_group_uuid})
                self.copy = self.client.post('subcloud-peer-groups', body)
            elif found.get('group_priority') == 0:
                raise SyncFailed('Site %s leads peer group %s itself (it is primary there): '
                                 'nothing is synced to it' % (self.peer.peer_name,
                                                              self.group.peer_group_name))
            else:
                self.copy = self.client.patch('subcloud-peer-groups/%d' % found['id'],
                                              self._group_body())
        except exception.OutboundError as e:
            self._fail('The copy of peer group %s on %s could not be written'
                       % (self.group.peer_group_name, self.peer.peer_name), e)

    def copy_association(self, status):
        try:
            rows = self.client.get('peer-group-associations')['peer_group_associations']
            mine = [r for r in rows if r.get('peer-group-id') == self.copy['id']
                    and r.get('system-peer-id') == self.peer_self['id']]
            if mine:
                self.copy_association_id = mine[0]['id']
            else:
                self.copy_association_id = self.client.post('peer-group-associations', {
                    'peer_group_id': self.copy['id'], 'system_peer_id': self.peer_self['id'],
                    'leader_term': self.group.leader_term})['id']
            self.copy_association_status(status, strict=True)
        except (exception.OutboundError, KeyError, TypeError) as e:
            self._fail('The association of the copy on %s could not be written'
                       % self.peer.peer_name, e)

    def copy_association_status(self, status, strict=False):
        try:
            self.client.patch('peer-group-associations/%d' % self.copy_association_id,
                              {'sync_status': status, 'leader_term': self.group.leader_term})
        except exception.OutboundError as e:
            if strict:
                raise
            LOG.warning('The sync status of the copy on %s was not written: %s',
                        self.peer.peer_name, e)

    def list_copies(self):
        """{region: row} of the subclouds in the peer's copy of the group (one call; members
        are then pushed with one call each)."""
        try:
            rows = self.client.get('subcloud-peer-groups/%d/subclouds'
                                   % self.copy['id'])['subclouds']
        except (exception.OutboundError, KeyError, TypeError) as e:
            self._fail('The copy\'s subclouds on %s could not be listed' % self.peer.peer_name,
                       e)
        self.copies = {row.get('region-name'): row for row in rows}

    def member(self, context, subcloud):
        """Make the peer hold its secondary copy of ``subcloud`` in the copy of the group."""
        path = 'subclouds/%s' % subcloud.region_name
        body = self._member_body(context, subcloud)
        found = self.copies.get(subcloud.region_name)
        if found is None:
            # POST names the address with a hyphen (as the CLI's add does), PATCH without.
            create = dict(body, secondary='true', peer_group=str(self.copy['id']))
            create['bootstrap-address'] = create.pop('bootstrap_address')
            try:
                answer = self.client.post('subclouds', create)
            except exception.AnswerRejected as e:
                if e.status != 409:
                    raise
                # There already, outside the copy of the group: see what it is.
                try:
                    found = self.client.get(path + '/detail')
                except exception.TargetNotFound:
                    raise SyncFailed('%s refused it: %s' % (self.peer.peer_name,
                                                            e.reason)) from None
        if found is not None:
            status = found.get('deploy-status')
            if status in _NOT_STEPPED_DOWN and \
                    subcloud.deploy_status == states.DEPLOY_COMPLETE:
                raise NotSteppedDown('its copy on %s is %s, not stepped down to a secondary '
                                     'copy yet' % (self.peer.peer_name, status))
            if status not in _PEER_COPY_STATES:
                raise SyncFailed('its copy on %s is %s, not a secondary copy'
                                 % (self.peer.peer_name, status))
            body['peer_group'] = str(self.copy['id'])
            answer = self.client.patch(path, body)
        if answer.get('deploy-status') not in _PEER_COPY_STATES:
            raise SyncFailed('its copy on %s is %s after the push'
                             % (self.peer.peer_name, answer.get('deploy-status')))

    def _member_body(self, context, subcloud):
        values = dict(subcloud.saved_payload())
        values.pop('bootstrap-address', None)
        values['name'] = subcloud.name
        # The peer's own gateway to the subclouds: never this site's (LP#2089715).
        if self.peer.peer_controller_gateway_ip:
            values['systemcontroller_gateway_address'] = self.peer.peer_controller_gateway_ip
        admin_password = objects.Subcloud.get_secrets(context, subcloud.id).get(
            'admin_password')
        if admin_password:
            values['admin_password'] = admin_password
        body = {'bootstrap_values': values, 'bootstrap_address': subcloud.bootstrap_address,
                'region_name': subcloud.region_name, 'name': subcloud.name,
                'leader_term': self.group.leader_term}
        for key in ('description', 'location'):
            if getattr(subcloud, key, None) is not None:
                body[key] = getattr(subcloud, key)
        if subcloud.software_version and _RELEASE.fullmatch(subcloud.software_version):
            body['release'] = subcloud.software_version
        return body

    def remove_copies(self):
        """The peer's copy of the group, its association and its secondary subclouds, gone
        (those of another leader, or a group primary there, are left alone)."""
        try:
            copy = self.client.get('subcloud-peer-groups/%s' % self.group.peer_group_uuid)
        except exception.TargetNotFound:
            return
        except exception.OutboundError as e:
            self._fail('Site %s could not be reached' % self.peer.peer_name, e)
        if copy.get('group_priority') == 0 or \
                (copy.get('system_leader_id') or '').lower() != self.local.system_uuid.lower():
            LOG.info('The peer group %s on %s is not our copy (priority %s, led by %s): left '
                     'alone', self.group.peer_group_name, self.peer.peer_name,
                     copy.get('group_priority'), copy.get('system_leader_name'))
            return
        self.copy = copy
        failed = self.prune(set())
        if failed:
            raise SyncFailed('%d subcloud copies were not deleted (%s): %s' % (
                len(failed), ', '.join(sorted(n for n, _ in failed)[:_LISTED]), failed[0][1]))
        try:
            rows = self.client.get('peer-group-associations')['peer_group_associations']
            for row in rows:
                if row.get('peer-group-id') == copy['id']:
                    self.client.delete('peer-group-associations/%d' % row['id'])
            self.client.delete('subcloud-peer-groups/%d' % copy['id'])
        except exception.TargetNotFound:
            pass
        except (exception.OutboundError, KeyError, TypeError) as e:
            self._fail('The copy of peer group %s on %s was not deleted'
                       % (self.group.peer_group_name, self.peer.peer_name), e)

    def prune(self, regions):
        """Delete the peer's secondary copies of subclouds no longer in the group; [(name,
        error)] of those that could not be."""
        try:
            listed = self.client.get('subcloud-peer-groups/%d/subclouds' % self.copy['id'])
            rows = listed['subclouds']
        except (exception.OutboundError, KeyError, TypeError) as e:
            return [('(prune)', 'the copy\'s subclouds could not be listed: %s' % e)]
        failed = []
        for row in rows:
            region = row.get('region-name')
            if region in regions or row.get('deploy-status') not in _PEER_COPY_STATES:
                continue
            try:
                self.client.delete('subclouds/%s' % region)
            except exception.TargetNotFound:
                pass
            except exception.OutboundError as e:
                failed.append((row.get('name') or region, 'not deleted there: %s' % e))
        return failed


def push_copy_status(context, client, peer, association, local):
    """Write the local status of the primary ``association`` on the peer site's copy of it
    (after the peer came back); a failure is logged, the next sync writes it anyway."""
    association = objects.PeerGroupAssociation.get_by_id(context, association.id)
    if association.sync_status == states.ASSOCIATION_SYNC_SYNCING:
        return  # the sync under way writes it
    group = objects.SubcloudPeerGroup.get_by_id(context, association.peer_group_id)
    push = _Push(client, peer, group, association, local)
    try:
        push.copy = client.get('subcloud-peer-groups/%s' % group.peer_group_uuid)
        rows = client.get('peer-group-associations')['peer_group_associations']
        for row in rows:
            if row.get('peer-group-id') == push.copy['id']:
                push.copy_association_id = row['id']
                push.copy_association_status(association.sync_status, strict=True)
    except (exception.OutboundError, KeyError, TypeError) as e:
        LOG.warning('The status of the copy of peer group %s on %s was not written: %s',
                    group.peer_group_name, peer.peer_name, e)


def push_to_copies(context, client, peer, group, local, members):
    """Write the peer site's secondary copies of ``members`` (of ``group``, held here) that its
    copy of the group lists, as a sync does (the peer's own gateway; the admin password inside
    the call), in a pool of ``[peer] sync_pool_size``; a member it does not list is not
    created there. Returns [(name, error text)] of those that failed, or raises SyncFailed
    when the copy of the group cannot be read."""
    push = _Push(client, peer, group, None, local)
    try:
        push.copy = client.get('subcloud-peer-groups/%s' % group.peer_group_uuid)
    except exception.OutboundError as e:
        push._fail('The copy of peer group %s on %s could not be read'
                   % (group.peer_group_name, peer.peer_name), e)
    push.list_copies()
    listed = [m for m in members if m.region_name in push.copies]
    failed = [(m.name, 'no copy of it on %s' % peer.peer_name) for m in members
              if m.region_name not in push.copies]
    size = max(1, min(CONF.peer.sync_pool_size, len(listed) or 1))
    with concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix='peer-push') as ex:
        futures = {ex.submit(push.member, context, m): m for m in listed}
        for future in concurrent.futures.as_completed(futures):
            if future.exception() is not None:
                failed.append((futures[future].name, _member_error(future.exception())))
    return sorted(failed)


def remove_copies_of(context, pool, peer, group):
    """Delete the peer site's copy of ``group`` (by its UUID), its association and its
    secondary subclouds, if it is this site's copy; PeerCleanupFailed (nothing more deleted)
    when the peer cannot be reached or a copy is not deleted."""
    client = peer_driver.PeerClient(pool, peer.manager_endpoint, peer.manager_username,
                                    objects.SystemPeer.get_password(context, peer.id))
    push = _Push(client, peer, group, None, objects.LocalSystem.get(context))
    try:
        push.remove_copies()
    except SyncFailed as e:
        raise exception.PeerCleanupFailed(peer=peer.peer_name, reason=e.message) from None
