"""The migration of a subcloud peer group to this site (``PATCH .../migrate``): this site takes
the group's subclouds over from the site that led it (its source).

``start`` checks the group and its members, then fences, in one compare-and-set on the group
row: ``migrating``, owned by this manager, led by this site in the next leader term. From then
on the source's writes to the copies here carry an older term and are refused, whatever becomes
of the migration; a second migration is 409. It answers with the subclouds to migrate; the rest
runs in the migration's own thread:

1. the source, when it answers, is told the new leadership (``PATCH .../audit`` with the new
   term and ``migrating``): it takes it and releases its members at once (unmanaged,
   ``rehome-pending``); a source that does not answer (the point of a failover) learns it at
   its next audit and steps down then;
2. each subcloud, at most ``max-subcloud-rehoming`` at a time: ``pre-rehome``, ``rehoming``
   (the subcloud's rehome entry point, told this site's address and its bootstrap address,
   within ``[subcloud] rehome_timeout``), then ``complete``, or ``rehome-failed`` with an
   ``error-description`` that says why;
3. ``complete``, whatever became of each subcloud (the leadership moved at the fence), the
   source told so (its audit then makes its copies ``secondary``, or ``rehome-failed`` where the
   rehome failed here, so that it can migrate those back);
4. the rehomed subclouds are managed here once the audit finds them online (bounded by
   ``[peer] migration_online_timeout``, in this one thread, not a pool slot each). When a
   source was not told of the fence (it did not answer), not before two ``[peer]
   audit_interval`` have passed since the rehomes ended: a source that is alive but cut off
   asks its members where they point at each of its audits and releases the ones rehomed
   here (``peer_witness``), so the two sites never both manage them; a source that is down
   manages nothing meanwhile, and steps down before it manages again when it starts
   (``peer_audit.confirm_at_start``).

Every status write is a compare-and-set owned by this manager: a manager that dies mid-way
leaves nothing transitory behind once recovered (``manager/recovery.py``: ``migrating`` ->
``complete``, ``pre-rehome`` -> ``rehome-prep-failed``, ``rehoming`` -> ``rehome-failed``); a
member whose rehome had not begun (still ``secondary``) ends ``rehome-prep-failed`` with
``states.MIGRATION_CUT_SHORT``, at that recovery or when the manager stops mid-way.
"""

import concurrent.futures
import threading
import time

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import context as dc_context
from dcmanager.common import exception, states
from dcmanager.conf import CONF
from dcmanager.drivers import peer as peer_driver
from dcmanager.drivers import subcloud as subcloud_driver
from dcmanager.objects import token_store

LOG = logging.getLogger(__name__)

MIGRATABLE = (states.DEPLOY_SECONDARY, states.DEPLOY_REHOME_FAILED,
              states.DEPLOY_REHOME_PREP_FAILED)
_REHOMING = (states.DEPLOY_PRE_REHOME, states.DEPLOY_REHOMING)
# Seconds between two looks for the rehomed subclouds that came online.
_ONLINE_POLL = 1.0


class Migrator:
    """This manager's migrations: one thread each, its subclouds in a pool of the group's
    ``max-subcloud-rehoming``."""

    def __init__(self, host, peer_pool):
        self.host = host
        self.peer_pool = peer_pool
        self.pool = subcloud_driver.acquire_pool(token_store.DatabaseTokenRecords)
        self._stopping = threading.Event()
        self._threads = set()
        self._lock = threading.Lock()

    def start(self, context, group_id):
        """Check, fence and start the migration of the group; the subclouds it migrates.
        SubcloudPeerGroupMigrating (409) while one runs, NothingToMigrate (400) without a
        migratable member, InvalidInput (400) for members without their rehome data."""
        group = objects.SubcloudPeerGroup.get_by_id(context, group_id)
        members = objects.Subcloud.list(context, peer_group_id=group.id)
        if group.migration_status == states.MIGRATION_MIGRATING or \
                any(m.deploy_status in _REHOMING for m in members):
            raise exception.SubcloudPeerGroupMigrating(name=group.peer_group_name)
        ready = [m for m in members if m.deploy_status in MIGRATABLE]
        if not ready:
            raise exception.NothingToMigrate(name=group.peer_group_name)
        unready = sorted(m.name for m in ready if not m.bootstrap_address or
                         not m.saved_payload())
        if unready:
            raise exception.InvalidInput(
                reason='Subcloud(s) %s of peer group %s have no rehome data (bootstrap address '
                       'and values): sync the group from its leader first'
                       % (', '.join(unready), group.peer_group_name))
        local = objects.LocalSystem.get(context)
        if not group.start_migration(context, self.host, local.system_uuid, local.system_name):
            raise exception.SubcloudPeerGroupMigrating(name=group.peer_group_name)
        LOG.warning('Migrating peer group %(name)s to this site: %(n)d subcloud(s); this site '
                    'leads it from leader term %(term)d', {'name': group.peer_group_name,
                                                          'n': len(ready),
                                                          'term': group.leader_term})
        thread = threading.Thread(target=self._run, args=(group.id, [m.id for m in ready]),
                                  name='migration-%d' % group.id, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return ready

    def stop(self, timeout=10.0):
        """Stop taking steps; a migration cut short is recovered at the next start."""
        self._stopping.set()
        with self._lock:
            threads = list(self._threads)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        subcloud_driver.release_pool(self.pool)

    # ------------------------------------------------------------------ one migration

    def _run(self, group_id, subcloud_ids):
        context = dc_context.get_admin_context()
        try:
            self._migrate(context, group_id, subcloud_ids)
        except Exception:
            LOG.exception('The migration of peer group %s failed unexpectedly', group_id)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _migrate(self, context, group_id, subcloud_ids):
        group = objects.SubcloudPeerGroup.get_by_id(context, group_id)
        rehomed, untold = [], ()
        try:
            untold = self._tell_sources(context, group)
            size = max(1, min(group.max_subcloud_rehoming, len(subcloud_ids)))
            with concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix='rehome') as ex:
                results = list(ex.map(lambda i: self._rehome_one(context, group, i),
                                      subcloud_ids))
            rehomed = [i for i, ok in zip(subcloud_ids, results, strict=True) if ok]
        finally:
            # Whatever became of each subcloud: the leadership moved at the fence.
            ended = group.end_migration(context, self.host)
        if not ended:
            LOG.warning('The migration of peer group %s was recovered meanwhile',
                        group.peer_group_name)
            return
        LOG.warning('Migration of peer group %(name)s complete: %(ok)d of %(n)d subcloud(s) '
                    'rehomed', {'name': group.peer_group_name, 'ok': len(rehomed),
                                'n': len(subcloud_ids)})
        # Told at the fence, a source released its members then; told only now, it steps them
        # down in its own time: the hold is for the sources the fence did not reach.
        self._tell_sources(context, group)
        _resync_copies(context, group)
        hold = 0.0
        if untold:
            hold = 2.0 * CONF.peer.audit_interval
            LOG.warning('Site(s) %(sites)s did not hear of the migration of peer group '
                        '%(name)s: its rehomed subclouds are managed here once online, not '
                        'before %(hold)d s (the time that site, if it runs, takes to see them '
                        'rehomed and release them)', {'sites': ', '.join(sorted(untold)),
                                                      'name': group.peer_group_name,
                                                      'hold': hold})
        self._manage_when_online(context, rehomed, hold)

    def _tell_sources(self, context, group):
        """The new leadership (and migration status) to every system peer of the group's
        associations; one that does not answer learns it at its next audit. The names of
        those that did not answer."""
        untold = []
        local = objects.LocalSystem.get(context)
        view = {'peer_uuid': local.system_uuid, 'peer_group_name': group.peer_group_name,
                'group_state': group.group_state, 'system_leader_id': local.system_uuid,
                'system_leader_name': local.system_name, 'leader_term': group.leader_term,
                'migration_status': group.migration_status or 'none'}
        for association in objects.PeerGroupAssociation.list(context, peer_group_id=group.id):
            peer = objects.SystemPeer.get_by_id(context, association.system_peer_id)
            client = peer_driver.PeerClient(self.peer_pool, peer.manager_endpoint,
                                            peer.manager_username,
                                            objects.SystemPeer.get_password(context, peer.id))
            try:
                client.patch('subcloud-peer-groups/%s/audit' % group.peer_group_uuid, view)
            except exception.OutboundError as e:
                LOG.warning('Site %(site)s was not told that this site leads peer group '
                            '%(name)s (%(status)s): %(why)s; it learns it at its next audit',
                            {'site': peer.peer_name, 'name': group.peer_group_name,
                             'status': view['migration_status'], 'why': e})
                untold.append(peer.peer_name)
                continue
            LOG.info('Site %s told that this site leads peer group %s in leader term %d (%s)',
                     peer.peer_name, group.peer_group_name, group.leader_term,
                     view['migration_status'])
        return untold

    def _rehome_one(self, context, group, subcloud_id):
        try:
            return self._rehome(context, group, subcloud_id)
        except Exception:
            # One subcloud's surprise must not leave it, or the migration, transitory.
            LOG.exception('The rehome of subcloud %s failed unexpectedly', subcloud_id)
            for status in (states.DEPLOY_PRE_REHOME, states.DEPLOY_REHOMING):
                objects.Subcloud.transition(
                    context, subcloud_id, status, states.DEPLOY.recovery(status).target,
                    owner=self.host,
                    error_description='The rehome failed unexpectedly; the manager\'s log '
                                      'says why.')
            return False

    def _rehome(self, context, group, subcloud_id):
        """One subcloud's rehome here; True if it is ``complete``."""
        subcloud = objects.Subcloud.get_by_id(context, subcloud_id)
        if self._stopping.is_set():
            # Its rehome never begins: failed, as the recovery of a migration cut short says,
            # not left secondary as if it were still the source's.
            if subcloud.deploy_status == states.DEPLOY_SECONDARY:
                objects.Subcloud.transition(
                    context, subcloud.id, states.DEPLOY_SECONDARY,
                    states.DEPLOY_REHOME_PREP_FAILED, owner=self.host,
                    error_description=states.MIGRATION_CUT_SHORT)
            return False
        if subcloud.deploy_status not in MIGRATABLE or \
                not objects.Subcloud.transition(
                    context, subcloud.id, subcloud.deploy_status, states.DEPLOY_PRE_REHOME,
                    owner=self.host, error_description=states.DEFAULT_ERROR_DESCRIPTION):
            return False
        payload = subcloud.saved_payload()
        controller = payload.get('systemcontroller_gateway_address')
        password = objects.Subcloud.get_secrets(context, subcloud.id).get('admin_password')
        if not controller or not password:
            objects.Subcloud.transition(
                context, subcloud.id, states.DEPLOY_PRE_REHOME, states.DEPLOY_REHOME_PREP_FAILED,
                owner=self.host, error_description='The rehome data has no %s' % (
                    'systemcontroller_gateway_address' if not controller else 'admin_password'))
            return False
        if not objects.Subcloud.transition(context, subcloud.id, states.DEPLOY_PRE_REHOME,
                                           states.DEPLOY_REHOMING, owner=self.host):
            return False
        try:
            client = subcloud_driver.for_address(self.pool, subcloud.bootstrap_address, password)
            client.start_rehome(controller, subcloud.bootstrap_address)
            answer = client.wait_rehome()
        except exception.OutboundError as e:
            reason = 'The rehome could not be run: %s' % e
        else:
            reason = None if answer.get('state') == 'rehomed' else (
                'The rehome failed: %s' % (answer.get('reason') or answer.get('state')))
        done = states.DEPLOY_COMPLETE if reason is None else states.DEPLOY_REHOME_FAILED
        objects.Subcloud.transition(
            context, subcloud.id, states.DEPLOY_REHOMING, done, owner=self.host,
            error_description=(reason or states.DEFAULT_ERROR_DESCRIPTION)[:2048])
        log = LOG.info if reason is None else LOG.warning
        log('Subcloud %(name)s of peer group %(group)s: %(status)s%(why)s',
            {'name': subcloud.name, 'group': group.peer_group_name, 'status': done,
             'why': ': %s' % reason if reason else ''})
        return reason is None

    def _manage_when_online(self, context, subcloud_ids, hold=0.0):
        """Manage each of the rehomed subclouds once online, not before ``hold`` seconds."""
        waiting = set(subcloud_ids)
        if waiting and hold > 0 and self._stopping.wait(hold):
            return  # stopping: left unmanaged, as after a timeout
        deadline = time.monotonic() + CONF.peer.migration_online_timeout
        while waiting and not self._stopping.is_set():
            for subcloud_id in sorted(waiting):
                subcloud = objects.Subcloud.get_by_id(context, subcloud_id)
                if subcloud.deploy_status != states.DEPLOY_COMPLETE:
                    waiting.discard(subcloud_id)  # changed meanwhile: not ours to manage
                elif subcloud.availability_status == states.ONLINE:
                    self._manage(context, subcloud)
                    waiting.discard(subcloud_id)
            if time.monotonic() >= deadline:
                break
            self._stopping.wait(_ONLINE_POLL)
        for subcloud_id in sorted(waiting):
            LOG.warning('Rehomed subcloud %s did not come online within %d s: left unmanaged',
                        subcloud_id, CONF.peer.migration_online_timeout)

    @staticmethod
    def _manage(context, subcloud):
        subcloud.management_state = states.MANAGED
        try:
            subcloud.save(context, expected={'deploy_status': states.DEPLOY_COMPLETE,
                                             'management_state': states.UNMANAGED})
        except exception.SubcloudChanged:
            return
        LOG.info('Rehomed subcloud %s is online: managed', subcloud.name)


def _resync_copies(context, group):
    """The copies of the group that this site's primary associations keep on the other site
    are synced again with what this site holds now (their members once that site stepped them
    down: the audit waits for it); a non-primary association is the other site's to sync."""
    for association in objects.PeerGroupAssociation.list(context, peer_group_id=group.id):
        if not association.is_primary():
            continue
        association.sync_status = states.ASSOCIATION_SYNC_OUT_OF_SYNC
        association.sync_message = ('Peer group %s was migrated to this site: its copy there is '
                                    'synced again by the audit.' % group.peer_group_name)
        try:
            association.save(context, not_syncing=True)
        except (exception.PeerGroupAssociationBusy, exception.PeerGroupAssociationNotFound):
            continue
