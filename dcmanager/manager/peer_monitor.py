"""The heartbeat of the peer sites: every system peer that has an association is called every
``heartbeat-interval`` seconds (``GET /system-peers/<our uuid>`` on its API).

One manager of the site watches a peer at a time: a tick (``[peer] monitor_tick``) claims the
peers whose heartbeat is due, with a lease in the database (``objects.SystemPeer.
claim_heartbeat``; a manager that dies is taken over when its lease ends), and runs their
heartbeats on a bounded queue, so a peer that hangs holds one thread for at most its call's
timeout (the interval less a second, or less) and nothing else. The count of consecutive
failures is in the database, written only by the watcher.

``heartbeat-failure-threshold`` consecutive failures make the peer ``unavailable`` (once: the
count is not reset, so nothing is repeated while it stays down): the alarm 280.004 is raised
(critical when the peer leads a peer group this site holds a copy of, else major) and the
primary associations with it become ``unknown`` (in-sync ones) or ``failed``. The first success
makes it ``available``: the alarm is cleared, ``unknown`` associations are ``in-sync`` again and
``failed`` ones ``out-of-sync``, on both sites. Each transition is logged once.
"""

import datetime
import threading

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import context as dc_context
from dcmanager.common import exception, states
from dcmanager.conf import CONF
from dcmanager.drivers import peer as peer_driver
from dcmanager.drivers import workqueue
from dcmanager.manager import peer_sync
from dcmanager.objects import site_alarm, token_store

LOG = logging.getLogger(__name__)

# A watcher's lease covers this many heartbeat intervals: another manager takes a peer over
# that long after its watcher stopped renewing it.
LEASE_INTERVALS = 3


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class PeerMonitor:
    """This manager's watch of the peer sites."""

    def __init__(self, host, on_available=None):
        self.host = host
        # Called with a peer's id once it is available again (the audit).
        self.on_available = on_available
        self.queue = workqueue.WorkQueue(workers=CONF.peer.monitor_workers,
                                         max_pending=CONF.peer.monitor_workers * 4,
                                         retry_delay=0, name='peer-heartbeat')
        self.pool = peer_driver.acquire_pool(token_store.DatabaseTokenRecords)
        self._running = set()
        self._lock = threading.Lock()
        self._watched = set()

    def tick(self):
        """Claim and queue the heartbeats that are due (the periodic task)."""
        context = dc_context.get_admin_context()
        now = _utcnow()
        for peer_id, interval in objects.SystemPeer.watched(context):
            with self._lock:
                if peer_id in self._running:
                    continue
            lease = now + datetime.timedelta(seconds=interval * LEASE_INTERVALS)
            if not objects.SystemPeer.claim_heartbeat(context, peer_id, interval, self.host,
                                                      now, lease):
                continue
            with self._lock:
                self._running.add(peer_id)
                self._watched.add(peer_id)
            try:
                self.queue.submit(self._beat, peer_id)
            except exception.Overloaded:
                with self._lock:
                    self._running.discard(peer_id)

    def stop(self):
        self.queue.stop(wait=True)
        context = dc_context.get_admin_context()
        for peer_id in sorted(self._watched):
            try:
                objects.SystemPeer.release_watch(context, peer_id, self.host)
            except Exception:
                LOG.exception('The watch of system peer %s was not released', peer_id)
        peer_driver.release_pool(self.pool)

    # ------------------------------------------------------------------ one heartbeat

    def _beat(self, peer_id):
        try:
            self.beat(dc_context.get_admin_context(), peer_id)
        finally:
            with self._lock:
                self._running.discard(peer_id)

    def beat(self, context, peer_id):
        """One heartbeat of the peer, and what its result implies."""
        try:
            peer = objects.SystemPeer.get_by_id(context, peer_id)
        except exception.SystemPeerNotFound:
            return
        local = objects.LocalSystem.get(context)
        client = peer_driver.PeerClient(self.pool, peer.manager_endpoint, peer.manager_username,
                                        objects.SystemPeer.get_password(context, peer.id))
        error = None
        try:
            client.heartbeat(local.system_uuid, within=max(1.0, peer.heartbeat_interval - 1.0))
        except exception.TargetNotFound:
            # It answers (it only does not know this site yet): the peer is up.
            pass
        except exception.OutboundError as e:
            error = e
        result = objects.SystemPeer.record_heartbeat(context, peer.id, self.host, error is None)
        if result is None:
            return  # another manager watches it now
        failures, availability = result
        if error is None and availability != states.PEER_AVAILABLE:
            self._available(context, peer, client, local)
        elif error is not None:
            LOG.debug('Heartbeat of system peer %s failed (%d in a row): %s', peer.peer_name,
                      failures, error)
            if failures >= peer.heartbeat_failure_threshold and \
                    availability != states.PEER_UNAVAILABLE:
                self._unavailable(context, peer, error, failures)

    def _unavailable(self, context, peer, error, failures):
        led = [g.peer_group_name for g in objects.SubcloudPeerGroup.list(context)
               if (g.system_leader_id or '').lower() == peer.peer_uuid.lower()]
        reason = ('Peer site %s (%s) did not answer %d heartbeats in a row (every %d s): %s'
                  % (peer.peer_name, peer.peer_uuid, failures, peer.heartbeat_interval, error))
        if led:
            reason += '. It leads peer group(s) %s, held here as copies' % ', '.join(led)
            repair = ('Check the network to the peer site and that it is up. If it is lost, '
                      'migrate its peer groups to this site: dcmanager subcloud-peer-group '
                      'migrate %s' % led[0])
        else:
            repair = 'Check the network to the peer site and that it is up.'
        # The availability and the alarm together: a manager dying in between would leave
        # the peer unavailable without its alarm, and nothing would raise it again.
        with objects.transaction(context):
            if not objects.SystemPeer.set_availability(
                    context, peer.id, self.host, states.PEER_UNAVAILABLE,
                    'Peer site (%s) is unreachable.' % peer.peer_name):
                return
            objects.SiteAlarm.raise_alarm(
                context, site_alarm.PEER_HEARTBEAT_FAILED,
                site_alarm.peer_entity(peer.peer_uuid),
                site_alarm.CRITICAL if led else site_alarm.MAJOR, reason, repair)
        LOG.warning('System peer %(name)s is unavailable; alarm %(alarm)s raised: %(why)s',
                    {'name': peer.peer_name, 'alarm': site_alarm.PEER_HEARTBEAT_FAILED,
                     'why': reason})

    def _available(self, context, peer, client, local):
        # Together too: available with the alarm still raised would stay so.
        with objects.transaction(context):
            if not objects.SystemPeer.set_availability(context, peer.id, self.host,
                                                       states.PEER_AVAILABLE):
                return
            objects.SiteAlarm.clear(context, site_alarm.PEER_HEARTBEAT_FAILED,
                                    site_alarm.peer_entity(peer.peer_uuid))
        LOG.info('System peer %s is available; alarm %s cleared', peer.peer_name,
                 site_alarm.PEER_HEARTBEAT_FAILED)
        for association in objects.PeerGroupAssociation.list(context):
            if association.system_peer_id != peer.id or not association.is_primary():
                continue
            peer_sync.push_copy_status(context, client, peer, association, local)
        if self.on_available is not None:
            self.on_available(peer.id)
