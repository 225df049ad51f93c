"""The subcloud audit's view of the database: which subclouds are due, claims, results.

A claim makes sure no subcloud is audited twice at once, across threads, processes and hosts:

1. ``claim`` takes due subclouds for a fresh owner token with one compare-and-set UPDATE (only
   rows without a live lease match) and returns the ids that token now holds;
2. ``start_many`` checks the claims of a batch when a worker takes it (leaving out a subcloud whose
   claim lapsed and was taken over, or that left the auditable states), renewing the leases that
   have run half their course; ``start`` does the same for one subcloud (a worker that kept one
   waiting long);
3. ``finish_many`` writes a group of results and gives up their claims in one transaction, each
   only if its token still owns it; ``release`` gives up claims without a result (a refused
   batch, a stopping worker).

One query per batch and one transaction per group of results: an audit cycle over thousands of
subclouds costs the database a few statements per hundred subclouds, not several per subcloud.

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


def _lease_short(lease_until, lease_seconds, now):
    return lease_until is None or \
        lease_until - now < datetime.timedelta(seconds=lease_seconds / 2.0)


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
    lease_until: datetime.datetime | None = dataclasses.field(default=None, compare=False)

    def lease_short(self, lease_seconds, now=None):
        """Less than half of the claim's lease is left (renew it before auditing)."""
        return _lease_short(self.lease_until, lease_seconds, now or utcnow())

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


def start_many(context, subcloud_ids, owner, lease_seconds, now=None):
    """Begin the audits of a batch ``owner`` claimed: the AuditTargets (by id) of those whose
    claim is still ``owner``'s and that are still auditable; leave the others alone.

    Claims with less than half of ``lease_seconds`` left (the batch waited long) are renewed
    first, so that the audits run under a live lease; the usual case is one plain read.
    """
    now = now or utcnow()
    rows = db_api.subcloud_audit_get_claimed(context, list(subcloud_ids), owner, now)
    short = [row.id for row in rows if _lease_short(row.audit_lease_until, lease_seconds, now)]
    renewed_until = now + datetime.timedelta(seconds=lease_seconds)
    renewed = set(db_api.subcloud_audit_renew(context, short, owner, now, renewed_until)) \
        if short else set()
    return [AuditTarget(id=row.id, name=row.name, bootstrap_address=row.bootstrap_address,
                        management_state=row.management_state, deploy_status=row.deploy_status,
                        availability_status=row.availability_status,
                        audit_fail_count=row.audit_fail_count, secrets_ciphertext=row.secrets,
                        lease_until=renewed_until if row.id in renewed else row.audit_lease_until)
            for row in rows if row.id not in short or row.id in renewed]


def start(context, subcloud_id, owner, lease_seconds, now=None):
    """``start_many`` of one subcloud: its AuditTarget, or None (skip it then)."""
    targets = start_many(context, [subcloud_id], owner, lease_seconds, now=now)
    return targets[0] if targets else None


@dataclasses.dataclass(frozen=True)
class Result:
    """One audit's result, to store if ``owner`` still holds the claim on ``subcloud_id``.

    ``changed``: the availability changed (the subcloud's ``updated_at`` moves); otherwise the
    audit's own bookkeeping leaves ``updated_at`` alone. ``endpoints_unknown``: every endpoint
    status and the aggregate sync status become ``unknown``. ``alarms``: the alarm summary to
    store (see ``objects.alarm_summary``), None to leave it.
    """

    subcloud_id: int
    owner: str
    availability: str
    fail_count: int
    changed: bool = False
    endpoints_unknown: bool = False
    alarms: dict | None = None
    # When the audit began: stored as the last audit's time, so that a subcloud is due again
    # ``interval`` seconds after its last audit began, however long that audit took.
    started_at: datetime.datetime | None = None


def finish_many(context, results, now=None):
    """Store ``results`` (Result) and give up their claims in one transaction; returns the set
    of ``(subcloud_id, owner)`` written. A result whose claim passed to another owner, or whose
    subcloud left the auditable states, is not written (only a claim its owner still holds is
    released)."""
    return db_api.subcloud_audit_finish(context, now or utcnow(), [
        {'id': r.subcloud_id, 'owner': r.owner, 'availability_status': r.availability,
         'audit_fail_count': r.fail_count, 'touch': r.changed,
         'endpoints_unknown': r.endpoints_unknown, 'alarms': r.alarms,
         'audited_at': r.started_at} for r in results])


def finish(context, subcloud_id, owner, availability, fail_count, changed=False,
           endpoints_unknown=False, alarms=None, now=None):
    """``finish_many`` of one result; False when nothing was written."""
    result = Result(subcloud_id, owner, availability, fail_count, changed=changed,
                    endpoints_unknown=endpoints_unknown, alarms=alarms)
    return bool(finish_many(context, [result], now=now))
