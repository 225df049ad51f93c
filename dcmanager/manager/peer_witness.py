"""The subclouds as witnesses of a migration this site could not hear of.

A group's leadership moves by a migration on the peer site, fenced by a leader term; with this
site unreachable (down, hung, cut off) the peer proceeds anyway (that is the point of a
failover), and this site learns the newer term only once it reaches the peer again. Until then
this site's own view is a leadership the peer has fenced, and the members it holds as its own
may meanwhile be the peer's: both sites would manage them.

The one party both sites reach is the subcloud itself: a rehome re-points it at the new system
controller, and its rehome entry point says which one it points at (``GET /v1/rehome``:
``system_controller``). So, while the peer of a group cannot be asked, each member this site
manages (``complete`` and ``managed``) is asked instead: one that says it was rehomed to a system
controller other than this site's (the ``systemcontroller_gateway_address`` of its rehome data
here) is released at once, as the fence would have released it (unmanaged, ``rehome-pending``;
this site's audit makes it ``secondary`` once it reaches the peer, and an operator who knows
better may manage it again). A member that does not answer is left as it is: this site cannot
reach it either, so it manages nothing of it (its audit finds it offline).
"""

import concurrent.futures

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import exception, states
from dcmanager.drivers import subcloud as subcloud_driver

LOG = logging.getLogger(__name__)

# Subclouds asked at once (each call bounded by [subcloud] connect_timeout + read_timeout).
_AT_ONCE = 16


def release_rehomed_elsewhere(context, pool, group):
    """Ask each member of ``group`` managed here where it points; release the ones rehomed to
    another system controller. Returns their names."""
    held = [m for m in objects.Subcloud.list(context, peer_group_id=group.id)
            if m.deploy_status == states.DEPLOY_COMPLETE and m.management_state == states.MANAGED]
    if not held:
        return []
    with concurrent.futures.ThreadPoolExecutor(min(_AT_ONCE, len(held)),
                                               thread_name_prefix='witness') as ex:
        answers = list(ex.map(lambda m: _points_elsewhere(context, pool, m), held))
    released = []
    for member, elsewhere in zip(held, answers, strict=True):
        if elsewhere is None:
            continue
        if objects.Subcloud.transition(context, member.id, states.DEPLOY_COMPLETE,
                                       states.DEPLOY_REHOME_PENDING,
                                       management_state=states.UNMANAGED):
            released.append(member.name)
            LOG.warning('Subcloud %(name)s of peer group %(group)s says it was rehomed to the '
                        'system controller at %(there)s, not this site: released here '
                        '(unmanaged, rehome-pending) until the peer site tells more',
                        {'name': member.name, 'group': group.peer_group_name,
                         'there': elsewhere})
    return released


def _points_elsewhere(context, pool, member):
    """The address of the other system controller ``member`` says it was rehomed to, or None
    (it points here, was never rehomed, or cannot tell)."""
    own = member.saved_payload().get('systemcontroller_gateway_address')
    password = objects.Subcloud.get_secrets(context, member.id).get('admin_password')
    if not own or not password or not member.bootstrap_address:
        return None
    try:
        client = subcloud_driver.for_address(pool, member.bootstrap_address, password)
        view = client.rehome_state()
    except exception.OutboundError as e:
        LOG.info('Subcloud %s did not say where it points (%s): left as it is', member.name, e)
        return None
    controller = (view.get('system_controller') or {}).get('address') \
        if isinstance(view.get('system_controller'), dict) else None
    if view.get('state') == subcloud_driver.REHOMED and controller and controller != own:
        return controller
    return None
