"""System peer operations: the rules the database alone cannot express."""

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import exception

LOG = logging.getLogger(__name__)


def _check_not_local(context, peer):
    """A system peer is the other site: never this one, by UUID or by name."""
    local = objects.LocalSystem.get(context)
    changed = peer.obj_what_changed()
    if 'peer_uuid' in changed and peer.peer_uuid.lower() == local.system_uuid.lower():
        raise exception.SystemPeerIsLocalSystem(field='peer-uuid', value=peer.peer_uuid)
    if 'peer_name' in changed and peer.peer_name == local.system_name:
        raise exception.SystemPeerIsLocalSystem(field='peer-name', value=peer.peer_name)


def create(context, peer, password):
    """Store ``peer`` with ``password`` (ciphertext); returns it."""
    _check_not_local(context, peer)
    peer.create(context, password=password)
    LOG.info('Created system peer %(id)s (%(name)s, %(uuid)s)',
             {'id': peer.id, 'name': peer.peer_name, 'uuid': peer.peer_uuid})
    return peer


def update(context, peer, password=None):
    """Apply the changed fields of ``peer`` (and ``password``, a ciphertext); returns the
    stored peer and the ids of the associations a gateway change marked out-of-sync."""
    _check_not_local(context, peer)
    changed = sorted(peer.obj_what_changed()) + (['manager_password'] if password else [])
    marked = peer.save(context, password=password)
    LOG.info('Updated system peer %(id)s: %(fields)s%(marked)s',
             {'id': peer.id, 'fields': ', '.join(changed),
              'marked': '; associations %s out-of-sync' % marked if marked else ''})
    return peer, marked


def delete(context, peer_id):
    objects.SystemPeer.get_by_id(context, peer_id).destroy(context)
    LOG.info('Deleted system peer %s', peer_id)
