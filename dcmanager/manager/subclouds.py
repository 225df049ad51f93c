"""Subcloud operations: the rules that depend on the stored subcloud and on the other subclouds.

Each operation is checked here, synchronously inside the RPC call (so the caller gets the real
4xx), then written in one transaction whose WHERE clause repeats the state the checks relied on
(compare-and-set): a concurrent change makes it fail with 409 instead of applying half a request.

The management network fields are stored (validated, no overlap with another subcloud) but no
network reconfiguration of the subcloud happens: this release has none to run.
"""

import ipaddress

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import exception, states
from dcmanager.manager import peer_groups

LOG = logging.getLogger(__name__)

# Fields that may change whatever the subcloud is doing.
_ALWAYS_CHANGEABLE = frozenset(('description', 'location', 'group_id', 'peer_group_id'))
_NETWORK_FIELDS = frozenset(('management_subnet', 'management_start_ip', 'management_end_ip',
                             'management_gateway_ip'))


def _check_group(context, group_id, message):
    try:
        objects.SubcloudGroup.get_by_id(context, group_id)
    except exception.SubcloudGroupNotFound:
        raise exception.InvalidInput(reason=message) from None


def _check_oam(context, subcloud, exclude_id=None):
    """The OAM subnet of the new subcloud (or of the new bootstrap values of the subcloud
    ``exclude_id``) must not overlap another subcloud's management subnet."""
    text = str(subcloud.saved_payload().get('external_oam_subnet') or '').split(',')[0].strip()
    clash = objects.Subcloud.subnet_clash(context, text, exclude_id)
    if clash is not None:
        oam = ipaddress.ip_network(text, strict=False)
        raise exception.InvalidInput(
            reason='external_oam_subnet %s overlaps the management subnet %s of subcloud %s'
            % (oam, ipaddress.ip_network(clash[1], strict=False), clash[0]))


def _initial(subcloud, deploy_status):
    """A new subcloud: unmanaged, offline, in ``deploy_status``, nothing known of its sync."""
    subcloud.management_state = states.UNMANAGED
    subcloud.availability_status = states.OFFLINE
    subcloud.deploy_status = deploy_status
    subcloud.error_description = states.DEFAULT_ERROR_DESCRIPTION
    subcloud.sync_status = states.SYNC_UNKNOWN


def add(context, subcloud, secrets, enroller):
    """Create ``subcloud`` in ``pre-enroll``, owned by ``enroller``'s manager, and hand its
    enrollment to ``enroller``."""
    enroller.check_capacity()
    _check_group(context, subcloud.group_id, 'Invalid group_id')
    _check_oam(context, subcloud)
    _initial(subcloud, states.DEPLOY_PRE_ENROLL)
    with objects.transaction(context):
        subcloud.create(context, secrets=secrets, owner=enroller.host)
        # Its alarm summary exists from the start (disabled, counts -1), as in the reference,
        # so the alarm summary lists every subcloud.
        objects.AlarmSummary.create_cleared(context, subcloud.id)
    LOG.info('Added subcloud %(id)s (%(name)s) at %(address)s',
             {'id': subcloud.id, 'name': subcloud.name, 'address': subcloud.bootstrap_address})
    return enroller.submit(context, subcloud)


def add_secondary(context, subcloud, secrets):
    """Create ``subcloud``, the peer site's copy of a subcloud it leads: ``secondary``,
    unmanaged and offline, with the peer site's region; never enrolled, audited or managed
    here (until a migration makes it this site's). The checks and the writes are one
    transaction: the peer site adds its copies by the thousand."""
    _initial(subcloud, states.DEPLOY_SECONDARY)
    with objects.transaction(context):
        _check_group(context, subcloud.group_id, 'Invalid group_id')
        _check_oam(context, subcloud)
        if subcloud.obj_attr_is_set('peer_group_id') and subcloud.peer_group_id is not None:
            # A copy joins the peer site's copies of groups only.
            peer_groups.check_writer(
                context, objects.SubcloudPeerGroup.get_by_id(context, subcloud.peer_group_id),
                as_peer=True)
        subcloud.create(context, secrets=secrets)
        objects.AlarmSummary.create_cleared(context, subcloud.id)
    LOG.info('Added secondary subcloud %(id)s (%(name)s, region %(region)s)',
             {'id': subcloud.id, 'name': subcloud.name, 'region': subcloud.region_name})
    return subcloud


def _changes(subcloud, current):
    return {name: getattr(subcloud, name) for name in subcloud.obj_what_changed()
            if name not in ('id', 'created_at', 'updated_at')
            and getattr(subcloud, name) != getattr(current, name)}


def _check_rename(current, expected):
    if current.management_state != states.UNMANAGED or \
            current.deploy_status != states.DEPLOY_COMPLETE:
        raise exception.InvalidInput(
            reason='A subcloud can only be renamed while it is unmanaged and its deploy status '
                   'is complete')
    expected.update(management_state=states.UNMANAGED, deploy_status=states.DEPLOY_COMPLETE)


def _check_network(current, changes, expected):
    if current.management_state != states.UNMANAGED or \
            changes.get('management_state') == states.MANAGED:
        raise exception.InvalidInput(
            reason='The management network of a subcloud can only be changed while it is '
                   'unmanaged (and not in the request that manages it)')
    expected['management_state'] = states.UNMANAGED


def _check_manage(current, target, force, expected):
    """The management state rules; returns the endpoint statuses the change implies."""
    if current.management_state == target:
        raise exception.InvalidInput(reason='Subcloud is already %s' % target)
    expected['management_state'] = current.management_state
    if target == states.UNMANAGED:
        # What the site knew of an unmanaged subcloud's sync is stale; dc-cert is still audited.
        return {None: states.SYNC_UNKNOWN, 'dc-cert': None}
    if current.deploy_status != states.DEPLOY_COMPLETE:
        raise exception.InvalidInput(
            reason='Subcloud can be managed only if deploy status is complete')
    expected['deploy_status'] = states.DEPLOY_COMPLETE
    if not force:
        if current.availability_status != states.ONLINE:
            raise exception.InvalidInput(
                reason='Subcloud can be managed only if it is online (or with force)')
        expected['availability_status'] = states.ONLINE
    return None


def _rehome_data(current, changes):
    """Keep the saved payload's name and bootstrap address those of the subcloud."""
    if not {'rehome_data', 'bootstrap_address', 'name'} & set(changes):
        return
    source = current.saved_payload()
    if 'rehome_data' in changes:
        probe = objects.Subcloud(rehome_data=changes['rehome_data'])
        source = probe.saved_payload()
    payload = dict(source, name=changes.get('name', current.name))
    changes['rehome_data'] = objects.Subcloud.make_rehome_data(
        payload, changes.get('bootstrap_address', current.bootstrap_address))


def _merged_secrets(context, subcloud_id, secrets, expected):
    """The secrets column with ``secrets`` (encrypted) merged into the stored ones, and the
    stored column added to ``expected`` (compare-and-set); None if ``secrets`` is None."""
    if secrets is None:
        return None
    stored = objects.Subcloud.get_secrets_ciphertext(context, subcloud_id)
    expected['secrets'] = stored
    return objects.Subcloud.encrypt_secrets(dict(objects.Subcloud.decrypt_secrets(stored),
                                                 **objects.Subcloud.decrypt_secrets(secrets)))


# A member's fields the peer site's copy holds: a change makes the group's associations stale.
_SYNCED_FIELDS = frozenset(('bootstrap_address', 'rehome_data', 'description', 'location',
                            'name'))


def _check_membership(context, current, changes, expected, as_peer):
    """The rules of peer group membership; returns the peer groups whose associations the
    change makes out-of-sync."""
    if _is_secondary(current):
        return _check_secondary_membership(context, current, changes, expected)
    groups = set()
    if 'management_state' in changes and current.peer_group_id is not None and not as_peer:
        group = objects.SubcloudPeerGroup.get_by_id(context, current.peer_group_id)
        raise exception.SubcloudInPeerGroup(name=current.name, group=group.peer_group_name)
    if 'peer_group_id' in changes:
        if current.peer_group_id is not None:
            peer_groups.check_led_here(
                context, objects.SubcloudPeerGroup.get_by_id(context, current.peer_group_id))
            groups.add(current.peer_group_id)
        if changes['peer_group_id'] is not None:
            _check_joinable(context, current, changes['peer_group_id'], expected)
            groups.add(changes['peer_group_id'])
    elif current.peer_group_id is not None and _SYNCED_FIELDS & set(changes):
        groups.add(current.peer_group_id)
    return groups


def _is_secondary(subcloud):
    return subcloud.deploy_status in states.SECONDARY_DEPLOY_STATES


def _check_secondary_membership(context, current, changes, expected):
    """A secondary copy is in the peer site's copies of groups only; nothing here is out of
    sync for it (the peer site syncs its own copies)."""
    for group_id in (current.peer_group_id, changes.get('peer_group_id')):
        if 'peer_group_id' in changes and group_id is not None:
            peer_groups.check_writer(
                context, objects.SubcloudPeerGroup.get_by_id(context, group_id), as_peer=True)
    expected['deploy_status'] = current.deploy_status
    return set()


# What the peer site may change of a subcloud of this site's that is in a peer group.
_PEER_MEMBER_FIELDS = frozenset(('management_state',))
# What a secondary copy never changes: it is never managed here.
_NEVER_SECONDARY = frozenset(('management_state',))


def _check_peer_writer(current, changes, as_peer):
    """A secondary copy is the peer site's alone; of this site's subclouds the peer site
    changes the management state of a peer group's member only."""
    if _is_secondary(current):
        if not as_peer:
            raise exception.SubcloudIsSecondary(name=current.name, state=current.deploy_status)
        if _NEVER_SECONDARY & set(changes):
            raise exception.InvalidInput(
                reason='A secondary subcloud is never managed on this site: a migration makes '
                       'it this site\'s')
    elif as_peer and (set(changes) - _PEER_MEMBER_FIELDS or current.peer_group_id is None):
        raise exception.SubcloudNotSecondary(name=current.name, state=current.deploy_status)


# What an operator may correct of a member of a non-primary group (its failed rehome), and
# how the API calls them.
_REHOME_FIX_FIELDS = {'rehome_data': 'bootstrap_values', 'bootstrap_address': 'bootstrap_address'}
_API_NAMES = {'management_state': 'management-state', 'group_id': 'group',
              'peer_group_id': 'peer_group', 'software_version': 'release'}


def _check_rehome_fix(context, current, changes, secrets, expected):
    """The rules of an operator's change of a member of a non-primary group (the copy of a
    group whose primary site is another): the group ids whose non-primary association it makes
    out-of-sync (the audit pushes the correction to the primary site). Only the rehome data
    (``bootstrap_values``, ``bootstrap_address``) of a ``rehome-failed`` member may change, and
    only while the primary site is not available (while it is, the member is corrected there
    and synced here): this site can then migrate it again."""
    if current.peer_group_id is None or 'peer_group_id' in changes:
        return set()
    group = objects.SubcloudPeerGroup.get_by_id(context, current.peer_group_id)
    fix = set(_REHOME_FIX_FIELDS) & set(changes) or secrets is not None
    if group.is_primary() or (not fix and current.deploy_status != states.DEPLOY_REHOME_FAILED):
        return set()
    other = sorted(set(changes) - set(_REHOME_FIX_FIELDS))
    if other:
        raise exception.RehomeDataFieldsOnly(
            name=current.name, group=group.peer_group_name,
            fields=', '.join(_API_NAMES.get(name, name) for name in other))
    if current.deploy_status != states.DEPLOY_REHOME_FAILED:
        raise exception.RehomeDataNotEditable(
            name=current.name, group=group.peer_group_name,
            reason='its deploy status is %s; it may be corrected only when it is %s'
                   % (current.deploy_status, states.DEPLOY_REHOME_FAILED))
    for association in objects.PeerGroupAssociation.list(context, peer_group_id=group.id):
        peer = objects.SystemPeer.get_by_id(context, association.system_peer_id)
        if peer.availability_state == states.PEER_AVAILABLE:
            raise exception.RehomeDataNotEditable(
                name=current.name, group=group.peer_group_name,
                reason='its primary site %s is available: correct the subcloud there (the '
                       'association syncs it here), or migrate the group back to it'
                       % peer.peer_name)
    expected['deploy_status'] = states.DEPLOY_REHOME_FAILED
    return {group.id}


def _check_joinable(context, current, peer_group_id, expected):
    peer_groups.check_led_here(context, objects.SubcloudPeerGroup.get_by_id(context,
                                                                            peer_group_id))
    if (current.management_state, current.availability_status, current.deploy_status) != (
            states.MANAGED, states.ONLINE, states.DEPLOY_COMPLETE):
        raise exception.SubcloudNotJoinable(
            name=current.name, management=current.management_state,
            availability=current.availability_status, deploy=current.deploy_status)
    # Still so when written: a concurrent unmanage or a failed audit in between loses.
    expected.update(management_state=states.MANAGED, availability_status=states.ONLINE,
                    deploy_status=states.DEPLOY_COMPLETE)


def update(context, subcloud, force=False, secrets=None, as_peer=False):
    """Apply the changed fields of ``subcloud`` (and ``secrets``, encrypted, merged into the
    stored ones) all together, or nothing. ``as_peer``: the peer site writes (its secondary
    copy, or the management state of a peer group's member)."""
    current = objects.Subcloud.get_by_id(context, subcloud.id)
    changes = _changes(subcloud, current)
    if 'management_state' in subcloud.obj_what_changed():
        changes['management_state'] = subcloud.management_state
    _check_peer_writer(current, changes, as_peer)
    expected = {}
    endpoint_status = None
    busy = states.DEPLOY.is_transitory(current.deploy_status)
    if busy and (set(changes) - _ALWAYS_CHANGEABLE or secrets):
        raise exception.SubcloudBusy(name=current.name, state=current.deploy_status)
    if 'name' in changes and not _is_secondary(current):
        _check_rename(current, expected)
    if _NETWORK_FIELDS & set(changes) and not _is_secondary(current):
        _check_network(current, changes, expected)
    if 'management_state' in subcloud.obj_what_changed():
        # Asked for, even if it is the current state: "already managed" is an error.
        endpoint_status = _check_manage(current, subcloud.management_state, force, expected)
        changes['management_state'] = subcloud.management_state
    if 'group_id' in changes:
        _check_group(context, changes['group_id'], 'Invalid group')
    out_of_sync = _check_membership(context, current, changes, expected, as_peer)
    corrected = set() if as_peer or _is_secondary(current) else _check_rehome_fix(
        context, current, changes, secrets, expected)
    if {'bootstrap_address', 'rehome_data'} & set(changes):
        expected.setdefault('deploy_status', current.deploy_status)
    _rehome_data(current, changes)
    column = _merged_secrets(context, current.id, secrets, expected)
    if not changes and column is None:
        return current
    for name, value in changes.items():
        setattr(current, name, value)
    if 'management_state' in changes and current.rehomed:
        current.rehomed = False  # managed or unmanaged by hand: no migration manages it now
    with objects.transaction(context):
        current.save(context, expected=expected, secrets=column,
                     endpoint_status=endpoint_status, out_of_sync_groups=out_of_sync,
                     out_of_sync_copies=corrected)
        if changes.get('management_state') == states.UNMANAGED:
            # What the site knew of an unmanaged subcloud's alarms is stale (the audit no
            # longer asks for them).
            objects.AlarmSummary.clear(context, current.id)
    LOG.info('Updated subcloud %(id)s (%(name)s): %(fields)s',
             {'id': current.id, 'name': current.name,
              'fields': ', '.join(sorted(changes) + (['secrets'] if column else []))})
    return current


# What a redeploy may change besides the deploy status (the fields of its form).
_REDEPLOY_FIELDS = frozenset((
    'bootstrap_address', 'rehome_data', 'description', 'location', 'software_version',
    'management_subnet', 'management_start_ip', 'management_end_ip', 'management_gateway_ip',
    'systemcontroller_gateway_ip', 'external_oam_subnet_ip_family'))


def _check_redeployable(current):
    if states.DEPLOY.is_transitory(current.deploy_status):
        raise exception.SubcloudBusy(name=current.name, state=current.deploy_status)
    if current.deploy_status not in states.ENROLL_FAILED_STATES:
        raise exception.SubcloudNotRedeployable(name=current.name, state=current.deploy_status)
    states.DEPLOY.check(current.deploy_status, states.DEPLOY_PRE_ENROLL)


def redeploy(context, subcloud, secrets, enroller):
    """Run the failed enrollment of ``subcloud`` again: its changed fields (new bootstrap values,
    address, description...) and ``secrets`` (encrypted, merged into the stored ones) are
    written with the move back to ``pre-enroll``, owned by ``enroller``'s manager, in one
    compare-and-set; then the enrollment is queued as an add's is."""
    enroller.check_capacity()
    current = objects.Subcloud.get_by_id(context, subcloud.id)
    _check_redeployable(current)
    changes = _changes(subcloud, current)
    unexpected = set(changes) - _REDEPLOY_FIELDS
    if unexpected:
        raise exception.InvalidInput(reason='A redeploy cannot change %s'
                                     % ', '.join(sorted(unexpected)))
    if 'rehome_data' in changes:
        _check_oam(context, objects.Subcloud(rehome_data=changes['rehome_data']),
                   exclude_id=current.id)
    _rehome_data(current, changes)
    expected = {'deploy_status': current.deploy_status}
    column = _merged_secrets(context, current.id, secrets, expected)
    for name, value in changes.items():
        setattr(current, name, value)
    current.deploy_status = states.DEPLOY_PRE_ENROLL
    current.error_description = states.DEFAULT_ERROR_DESCRIPTION
    try:
        current.save(context, expected=expected, secrets=column, owner=enroller.host)
    except exception.SubcloudChanged:
        # Another request got there first (another redeploy, most likely): say what it did.
        _check_redeployable(objects.Subcloud.get_by_id(context, current.id))
        raise
    LOG.info('Redeploying subcloud %(id)s (%(name)s) at %(address)s: %(fields)s',
             {'id': current.id, 'name': current.name, 'address': current.bootstrap_address,
              'fields': ', '.join(sorted(changes) + (['secrets'] if column else [])) or
              'nothing changed'})
    return enroller.submit(context, current)


def delete(context, subcloud_id, as_peer=False):
    """Delete a subcloud unless it is managed, in a peer group or in an active operation; or
    (``as_peer``) the peer site's secondary copy, which may be in the peer site's group."""
    subcloud = objects.Subcloud.get_by_id(context, subcloud_id)
    if _is_secondary(subcloud) and not as_peer:
        raise exception.SubcloudIsSecondary(name=subcloud.name, state=subcloud.deploy_status)
    if as_peer and not _is_secondary(subcloud):
        raise exception.SubcloudNotSecondary(name=subcloud.name, state=subcloud.deploy_status)
    subcloud.delete_if_allowed(context, secondary=as_peer)
    LOG.info('Deleted subcloud %(id)s (%(name)s)', {'id': subcloud_id, 'name': subcloud.name})
