"""Rows the tests write directly (through the objects, as the manager would), for states the API
reaches only through an enrollment or an audit."""

import time

from dcmanager import objects
from dcmanager.common import states


def subcloud(ctx, name, n, group_id=1, management=states.UNMANAGED, availability=states.OFFLINE,
             deploy=states.DEPLOY_COMPLETE):
    """A stored subcloud ``name`` with the management range 127.0.9.<10n>-<10n+9>."""
    sc = objects.Subcloud(name=name, group_id=group_id, management_state=management,
                          availability_status=availability, deploy_status=deploy,
                          error_description=states.DEFAULT_ERROR_DESCRIPTION,
                          management_start_ip='127.0.9.%d' % (n * 10),
                          management_end_ip='127.0.9.%d' % (n * 10 + 9),
                          openstack_installed=False, audit_fail_count=0,
                          first_identity_sync_complete=False, rehomed=False,
                          enrolled_with_vcsr=False)
    sc.create(ctx)
    return sc


def settled_association(api, association_id, timeout=20.0):
    """The association once its sync has ended (its answer as the API gives it)."""
    deadline = time.monotonic() + timeout
    while True:
        body = api.get('/v1.0/peer-group-associations/%d' % association_id).json
        if body['sync-status'] != 'syncing' or time.monotonic() > deadline:
            return body
        time.sleep(0.05)
