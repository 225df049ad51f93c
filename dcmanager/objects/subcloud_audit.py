"""The subcloud audit's view of the database: which subclouds are due, claims, results.

A claim makes sure no subcloud is audited twice at once, across threads, processes and hosts:

1. ``claim`` takes due subclouds for a fresh owner token with one compare-and-set UPDATE (only
   rows without a live lease match) and returns the ids that token now holds;
2. ``start`` checks the claim when a worker actually begins (no if it lapsed and was taken over,
   or the subcloud left the auditable states), renewing a lease that has run half its course;
3. ``finish`` writes the result and gives up the claim in one transaction, only if the token still
   owns it; ``release`` gives up claims without a result (a refused batch, a stopping worker).

A worker that dies leaves its claims to lapse after ``[audit] lease_seconds``. Nothing here is a
versioned object: the audit passes ids and owner tokens, never rows, over RPC.
"""

import dataclasses
import datetime
import json
import uuid

from dcmanager.common import crypto
from dcmanager.db import api as db_api


def utcnow():
    """Now, as the naive UTC timestamp the audit columns hold."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@dataclasses.dataclass(frozen=True)
class AuditTarget:
    """What the worker needs to know of a subcloud to audit it.

    Its secrets stay encrypted (and out of ``repr``) until ``admin_password()`` is called.
    """

    id: int
    name: str
    bootstrap_address: str | None
    management_state: str
    deploy_status: str
    availability_status: str
    audit_fail_count: int
    secrets_ciphertext: str | None = dataclasses.field(default=None, repr=False, compare=False)

    def admin_password(self):
        """The decrypted admin password (None if none was stored); DCManagerException when it
        cannot be decrypted with the site key."""
        if not self.secrets_ciphertext:
            return None
        return json.loads(crypto.decrypt(self.secrets_ciphertext)).get('admin_password')


def due(context, interval, limit, now=None):
    """Ids of at most ``limit`` subclouds due (last audit ``interval`` seconds old or never),
    never-audited and oldest first."""
    now = now or utcnow()
    return db_api.subcloud_audit_due(context, now, now - datetime.timedelta(seconds=interval),
                                     limit)


def claim(context, subcloud_ids, interval, lease_seconds, now=None):
    """Claim those of ``subcloud_ids`` still due for a new owner; returns (owner, claimed ids)."""
    now = now or utcnow()
    owner = str(uuid.uuid4())
    claimed = db_api.subcloud_audit_claim(
        context, list(subcloud_ids), owner, now, now + datetime.timedelta(seconds=lease_seconds),
        now - datetime.timedelta(seconds=interval))
    return owner, claimed


def release(context, owner, subcloud_ids=None):
    """Give up ``owner``'s claims (on ``subcloud_ids`` only, if given); returns how many."""
    return db_api.subcloud_audit_release(context, owner,
                                         None if subcloud_ids is None else list(subcloud_ids))


def start(context, subcloud_id, owner, lease_seconds, now=None):
    """Begin the audit of a subcloud ``owner`` claimed: its AuditTarget, or None if the claim is
    no longer ``owner``'s or the subcloud is no longer auditable (skip it then).

    A claim with less than half of ``lease_seconds`` left (the batch waited long in a busy
    worker) is renewed first, so that the audit itself runs under a live lease; the usual case
    is a plain read.
    """
    now = now or utcnow()
    row = db_api.subcloud_audit_get_claimed(context, subcloud_id, owner, now)
    if row is None:
        return None
    if row.audit_lease_until - now < datetime.timedelta(seconds=lease_seconds / 2.0):
        if not db_api.subcloud_audit_renew(context, subcloud_id, owner, now,
                                           now + datetime.timedelta(seconds=lease_seconds)):
            return None
    return AuditTarget(id=row.id, name=row.name, bootstrap_address=row.bootstrap_address,
                       management_state=row.management_state, deploy_status=row.deploy_status,
                       availability_status=row.availability_status,
                       audit_fail_count=row.audit_fail_count, secrets_ciphertext=row.secrets)


def finish(context, subcloud_id, owner, availability, fail_count, changed=False,
           endpoints_unknown=False, alarms=None, now=None):
    """Store an audit's result and give up the claim, if ``owner`` still holds it.

    ``changed``: the availability changed (the subcloud's ``updated_at`` moves); otherwise the
    audit's own bookkeeping leaves ``updated_at`` alone. ``endpoints_unknown``: every endpoint
    status and the aggregate sync status become ``unknown``. ``alarms``: the alarm summary to
    store (see ``objects.alarm_summary``). Returns False when nothing was written because the
    claim had passed to another owner.
    """
    return db_api.subcloud_audit_finish(
        context, subcloud_id, owner, now or utcnow(),
        {'availability_status': availability, 'audit_fail_count': fail_count},
        endpoints_unknown=endpoints_unknown, alarms=alarms, touch=changed)
