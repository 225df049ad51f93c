"""The manager service: thin RPC endpoints over the operation modules."""

import threading

from oslo_log import log as logging
import oslo_messaging as messaging

from dcmanager import objects
from dcmanager.common import context as dc_context
from dcmanager.common import exception, periodic, rpc, states
from dcmanager.conf import CONF
from dcmanager.manager import (
    associations,
    enroll,
    liveness,
    migration,
    peer_audit,
    peer_groups,
    peer_monitor,
    peer_sync,
    recovery,
    rpcapi,
    subcloud_groups,
    subclouds,
    system_peers,
)
from dcmanager.objects import base as objects_base
from dcmanager.objects import token_store

LOG = logging.getLogger(__name__)


class ManagerEndpoint:
    """RPC endpoints of topic ``[manager] topic``; each method is a handful of lines."""

    target = messaging.Target(version=rpcapi.ManagerAPI.RPC_API_VERSION)

    def __init__(self, enroller, syncer, migrator, audit):
        self.enroller = enroller
        self.syncer = syncer
        self.migrator = migrator
        self.audit = audit

    @messaging.expected_exceptions(exception.DCManagerException)
    def create_subcloud_group(self, context, group):
        return subcloud_groups.create(context, group)

    @messaging.expected_exceptions(exception.DCManagerException)
    def update_subcloud_group(self, context, group):
        return subcloud_groups.update(context, group)

    @messaging.expected_exceptions(exception.DCManagerException)
    def delete_subcloud_group(self, context, group_id):
        return subcloud_groups.delete(context, group_id)

    @messaging.expected_exceptions(exception.DCManagerException)
    def add_subcloud(self, context, subcloud, secrets):
        return subclouds.add(context, subcloud, secrets, self.enroller)

    @messaging.expected_exceptions(exception.DCManagerException)
    def add_secondary_subcloud(self, context, subcloud, secrets):
        return subclouds.add_secondary(context, subcloud, secrets)

    @messaging.expected_exceptions(exception.DCManagerException)
    def update_subcloud(self, context, subcloud, force=False, secrets=None, as_peer=False):
        return subclouds.update(context, subcloud, force=force, secrets=secrets,
                                as_peer=as_peer)

    @messaging.expected_exceptions(exception.DCManagerException)
    def redeploy_subcloud(self, context, subcloud, secrets=None):
        return subclouds.redeploy(context, subcloud, secrets, self.enroller)

    @messaging.expected_exceptions(exception.DCManagerException)
    def delete_subcloud(self, context, subcloud_id, as_peer=False):
        return subclouds.delete(context, subcloud_id, as_peer=as_peer)

    @messaging.expected_exceptions(exception.DCManagerException)
    def create_system_peer(self, context, peer, password):
        return system_peers.create(context, peer, password)

    @messaging.expected_exceptions(exception.DCManagerException)
    def update_system_peer(self, context, peer, password=None):
        return list(system_peers.update(context, peer, password=password))

    @messaging.expected_exceptions(exception.DCManagerException)
    def delete_system_peer(self, context, peer_id):
        return system_peers.delete(context, peer_id)

    @messaging.expected_exceptions(exception.DCManagerException)
    def create_subcloud_peer_group(self, context, group, as_peer=False):
        if as_peer:
            return peer_groups.create_copy(context, group)
        return peer_groups.create(context, group)

    @messaging.expected_exceptions(exception.DCManagerException)
    def update_subcloud_peer_group(self, context, group, as_peer=False):
        return peer_groups.update(context, group, as_peer=as_peer)

    @messaging.expected_exceptions(exception.DCManagerException)
    def delete_subcloud_peer_group(self, context, group_id, as_peer=False):
        return peer_groups.delete(context, group_id, as_peer=as_peer)

    @messaging.expected_exceptions(exception.DCManagerException)
    def create_peer_group_association(self, context, association, as_peer=False):
        if as_peer:
            return associations.create_non_primary(context, association)
        return associations.create(context, association, self.syncer)

    @messaging.expected_exceptions(exception.DCManagerException)
    def audit_peer_group_copy(self, context, group_id, view):
        answer = peer_groups.audit_copy(context, group_id, view, self.syncer.host)
        if view.get('migration_status') == states.MIGRATION_COMPLETE:
            # The leader's migration is complete: this site's audit of that peer steps the
            # group's members down now, not at its next cycle (and not in this call).
            peer = objects.SystemPeer.get_by_ref(context, view['peer_uuid'])
            threading.Thread(target=self.audit.run, args=(peer.id,), daemon=True,
                             name='peer-audit-%d' % peer.id).start()
        return answer

    @messaging.expected_exceptions(exception.DCManagerException)
    def migrate_subcloud_peer_group(self, context, group_id):
        return self.migrator.start(context, group_id)

    @messaging.expected_exceptions(exception.DCManagerException)
    def set_peer_group_association_sync_status(self, context, association_id, sync_status):
        return associations.set_sync_status(context, association_id, sync_status)

    @messaging.expected_exceptions(exception.DCManagerException)
    def update_peer_group_association(self, context, association_id, peer_group_priority):
        return associations.update_priority(context, association_id, peer_group_priority,
                                            self.syncer)

    @messaging.expected_exceptions(exception.DCManagerException)
    def sync_peer_group_association(self, context, association_id):
        return associations.sync(context, association_id, self.syncer)

    @messaging.expected_exceptions(exception.DCManagerException)
    def delete_peer_group_association(self, context, association_id, as_peer=False,
                                      force=False):
        return associations.delete(context, association_id, self.syncer, as_peer=as_peer,
                                   force=force)


class ManagerService:
    """Runs the RPC server of the manager until stopped.

    ``host`` (default ``[DEFAULT] host``) names this manager: its RPC server, its heartbeat, and
    the owner of the transitory operations it runs. Every manager of a site needs its own.
    """

    def __init__(self, host=None):
        self.host = host or CONF.host
        self._server = None
        self._tasks = []
        self.enroller = None
        self.syncer = None
        self.migrator = None
        self.monitor = None

    def start(self):
        liveness.check_config()
        objects.register_all()
        context = dc_context.get_admin_context()
        liveness.beat(context, self.host)
        # This site's identity agrees with the configuration (or the site does not start).
        objects.LocalSystem.ensure(context)
        # Recovery before taking requests: nothing this manager accepts can be mistaken for a
        # leftover of its previous run.
        recovery.recover_at_start(context, self.host)
        self.enroller = enroll.Enroller(self.host)
        self.syncer = peer_sync.Syncer(self.host)
        self.migrator = migration.Migrator(self.host, self.syncer.pool)
        self.audit = peer_audit.PeerAudit(self.syncer, self.migrator.pool)
        # Before this site audits or manages a subcloud again (the audit service of
        # dcmanager-all starts after this, the RPC server below): a group the peer migrated
        # while this site was down is stepped down here first (peer_audit.confirm_at_start).
        self.audit.confirm_at_start()
        self.monitor = peer_monitor.PeerMonitor(self.host, on_available=self.audit.run)
        self._server = rpc.get_server(CONF.manager.topic, self.host,
                                      rpcapi.ManagerAPI.RPC_API_VERSION,
                                      [ManagerEndpoint(self.enroller, self.syncer, self.migrator,
                                                       self.audit)],
                                      objects_base.DCManagerObjectSerializer())
        self._server.start()
        if CONF.token_cache.backend == 'database':
            # Shared tokens expire in the database; one purge per manager is plenty.
            self._tasks.append(periodic.Periodic(
                'token-purge', CONF.token_cache.purge_interval,
                token_store.DatabaseTokenRecords().purge_expired).start())
        self._tasks.append(periodic.Periodic(
            'manager-heartbeat', CONF.manager.heartbeat_interval, self.heartbeat).start())
        self._tasks.append(periodic.Periodic(
            'peer-monitor', CONF.peer.monitor_tick, self.monitor.tick).start())
        self._tasks.append(periodic.Periodic(
            'peer-audit', CONF.peer.audit_interval, self.audit.run).start())
        LOG.info('Manager listening on topic %s as %s', CONF.manager.topic, self.host)

    def heartbeat(self):
        """Say that this manager is alive, then recover the operations of the dead ones (the
        periodic task of ``[manager] heartbeat_interval``)."""
        context = dc_context.get_admin_context()
        liveness.beat(context, self.host)
        recovery.recover_dead_owners(context, self.host)

    def stop(self):
        if self._server is not None:
            self._server.stop()
            self._server.wait()
            self._server = None
        if self.enroller is not None:
            self.enroller.stop()
            self.enroller = None
        if self.migrator is not None:
            self.migrator.stop()
            self.migrator = None
        if self.syncer is not None:
            self.syncer.stop()
            self.syncer = None
        # The heartbeat last: while its enrollments finish, this manager is alive, and none of
        # them is recovered by another.
        for task in self._tasks:
            task.stop()
        self._tasks = []
        if self.monitor is not None:
            # After its tick has stopped; its watches are released for another manager.
            self.monitor.stop()
            self.monitor = None
        LOG.info('Manager stopped')
