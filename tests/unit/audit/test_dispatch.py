"""The scheduler's claims and batches, and the worker's refusal and stop, on the site's database.

No subcloud is reached here: the subclouds have no address, so an audit fails at once (the rule
then counts a failure) and the tests are about who holds which claim.
"""

import datetime
import threading
import time

import oslo_messaging as messaging
import pytest

from dcmanager.audit import scheduler as scheduler_mod
from dcmanager.audit import worker as worker_mod
from dcmanager.common import states
from dcmanager.conf import CONF
from dcmanager.db import api as db_api


@pytest.fixture
def ctx(site):
    CONF.set_override('batch_size', 3, group='audit')
    try:
        yield site.context()
    finally:
        CONF.clear_override('batch_size', group='audit')
        site.reset_database()


def _add_many(ctx, count):
    return [db_api.subcloud_create(ctx, {'name': 'sc%d' % i,
                                         'deploy_status': states.DEPLOY_COMPLETE}).id
            for i in range(count)]


def _owners(ctx):
    return {row.id: row.audit_owner for row in db_api.subcloud_get_all(ctx)}


class _Recorder:
    """A worker that takes every batch and does nothing with it."""

    def __init__(self):
        self.batches = []

    def accept(self, subcloud_ids, owner):
        self.batches.append((list(subcloud_ids), owner))
        return len(subcloud_ids)


def test_a_scan_claims_and_sends_every_due_subcloud_in_batches(ctx, monkeypatch):
    monkeypatch.setattr(scheduler_mod, 'CLAIM_SIZE', 4)
    ids = _add_many(ctx, 7)
    worker = _Recorder()
    scheduler = scheduler_mod.Scheduler(local_worker=worker)
    assert scheduler.run_once() == 7
    # two claims (4 + 3), each sent in batches of batch_size (3)
    assert [len(batch) for batch, _ in worker.batches] == [3, 1, 3]
    assert sorted(i for batch, _ in worker.batches for i in batch) == ids
    owners = _owners(ctx)
    for batch, owner in worker.batches:
        assert {owners[i] for i in batch} == {owner}
    tokens = [owner for _, owner in worker.batches]
    assert tokens[0] == tokens[1] != tokens[2]  # a token per claim
    # In flight: the next scan sends nothing again.
    assert scheduler.run_once() == 0
    assert len(worker.batches) == 3


class _BrokenBus:
    def audit_subclouds(self, context, subcloud_ids, owner):
        raise messaging.MessageDeliveryFailure('broker unreachable')


def test_a_batch_the_bus_refuses_is_released_for_the_next_scan(ctx):
    _add_many(ctx, 4)
    scheduler = scheduler_mod.Scheduler()
    scheduler._worker_api = _BrokenBus()  # the edge of the world: the message bus
    assert scheduler.run_once() == 0
    assert set(_owners(ctx).values()) == {None}


@pytest.fixture
def small_worker(ctx):
    """An in-process worker with one thread and room for three accepted jobs."""
    CONF.set_override('workers', 1, group='work_queue')
    CONF.set_override('max_pending', 3, group='work_queue')
    worker = worker_mod.AuditWorker(host='test-worker').start(listen=False)
    gate = threading.Event()
    try:
        yield worker, gate
    finally:
        gate.set()
        worker.stop()
        CONF.clear_override('workers', group='work_queue')
        CONF.clear_override('max_pending', group='work_queue')


def test_a_full_worker_refuses_the_rest_of_a_batch_and_releases_it(ctx, small_worker):
    worker, gate = small_worker
    worker.queue.submit(gate.wait)  # the only thread is busy; two places are left
    ids = _add_many(ctx, 5)
    scheduler = scheduler_mod.Scheduler(local_worker=worker)
    CONF.set_override('batch_size', 3, group='audit')
    assert scheduler.run_once() == 2  # two of the first batch fit; the scan ends there
    owners = _owners(ctx)
    accepted = [i for i in ids if owners[i] is not None]
    assert accepted == ids[:2]  # taken in order, the rest handed back at once
    # The refused ones are due for the next scan; the accepted ones are not.
    assert sorted(scheduler_mod.subcloud_audit.due(ctx, 30, 10)) == ids[2:]
    gate.set()
    deadline = time.monotonic() + 10
    while any(_owners(ctx)[i] for i in accepted) and time.monotonic() < deadline:
        time.sleep(0.02)
    rows = {row.id: row for row in db_api.subcloud_get_all(ctx)}
    for subcloud_id in accepted:  # audited (it has no address: a failed audit, counted)
        assert rows[subcloud_id].audit_owner is None
        assert rows[subcloud_id].last_audit_at is not None
        assert rows[subcloud_id].audit_fail_count == 1
    for subcloud_id in ids[2:]:
        assert rows[subcloud_id].last_audit_at is None


def test_stop_is_prompt_and_releases_what_was_not_audited(ctx, small_worker):
    worker, gate = small_worker
    worker.queue.submit(gate.wait)  # an audit that hangs
    ids = _add_many(ctx, 2)
    scheduler = scheduler_mod.Scheduler(local_worker=worker)
    assert scheduler.run_once() == 2
    assert all(_owners(ctx)[i] for i in ids)
    started = time.monotonic()
    worker.stop(grace=0.3)
    assert time.monotonic() - started < 2
    assert set(_owners(ctx).values()) == {None}  # another worker may take them at once
    rows = db_api.subcloud_get_all(ctx)
    assert all(row.last_audit_at is None for row in rows)  # dropped, not audited


def test_stop_releases_only_its_own_part_of_a_shared_claim(ctx, small_worker):
    # The batches of one claim can go to different worker processes: stopping one of them must
    # not pull the claim from under the others.
    worker, gate = small_worker
    worker.queue.submit(gate.wait)
    ids = _add_many(ctx, 4)
    owner, claimed = scheduler_mod.subcloud_audit.claim(ctx, ids, 30, 60)
    assert claimed == ids
    assert worker.accept(ids[:2], owner) == 2  # the other two went to another worker
    worker.stop(grace=0.1)
    owners = _owners(ctx)
    assert [owners[i] for i in ids] == [None, None, owner, owner]


def _set_owner(subcloud_id, owner):
    from dcmanager.db.sqlalchemy import models  # the tests may look below the interface
    with db_api.get_engine().begin() as conn:
        conn.execute(models.Subcloud.__table__.update()
                     .where(models.Subcloud.id == subcloud_id).values(audit_owner=owner))


@pytest.mark.parametrize('taken_over', [False, True])
def test_an_audit_that_waited_long_renews_its_claim_first(ctx, small_worker, monkeypatch,
                                                          taken_over):
    worker, gate = small_worker
    audited = []
    real = worker_mod.audit_target
    monkeypatch.setattr(worker_mod, 'audit_target',
                        lambda pool, target, *a: audited.append(target) or
                        real(pool, target, *a))
    CONF.set_override('lease_seconds', 20, group='audit')
    try:
        worker.queue.submit(gate.wait)  # the only thread is busy: the batch waits
        ids = _add_many(ctx, 1)
        started = scheduler_mod.subcloud_audit.utcnow()
        owner, claimed = scheduler_mod.subcloud_audit.claim(ctx, ids, 30, 20)
        assert worker.accept(claimed, owner) == 1  # 20 s left of 20: not short
        # Later, the lease counts as short (less than half of 100 s is left) ...
        CONF.set_override('lease_seconds', 100, group='audit')
        if taken_over:  # ... and meanwhile another scheduler took the subcloud
            _set_owner(ids[0], 'another-owner')
        gate.set()
        deadline = time.monotonic() + 10
        while worker._in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        CONF.clear_override('lease_seconds', group='audit')
    row = db_api.subcloud_get(ctx, ids[0])
    if taken_over:
        assert audited == []  # never audited under a claim that is not its own
        assert (row.audit_owner, row.last_audit_at) == ('another-owner', None)
    else:
        # the claim ran until started + 20 s; the audit ran under the renewed one
        assert len(audited) == 1
        assert audited[0].lease_until >= started + datetime.timedelta(seconds=100)
        assert row.audit_owner is None and row.last_audit_at is not None


class _StoreWithoutDatabase:
    """A token store whose database is gone (the site's failure, not the subcloud's)."""

    def get(self, digest, fresh=False):
        return None  # (a local copy: none)

    def acquire_lease_and_get(self, digest, seconds):
        raise RuntimeError('database unreachable')


def test_a_failure_of_the_site_is_not_counted_against_the_subcloud(ctx):
    from dcmanager import objects
    from dcmanager.drivers import identity

    subcloud_id = db_api.subcloud_create(ctx, {
        'name': 'sc', 'deploy_status': states.DEPLOY_COMPLETE,
        'availability_status': states.ONLINE, 'bootstrap_address': '127.0.1.1',
        'secrets': objects.Subcloud.encrypt_secrets({'admin_password': 'S3cret!'})}).id
    pool = identity.SessionPool(identity.TokenCache(_StoreWithoutDatabase()))
    worker = worker_mod.AuditWorker(host='test-worker', pool=pool).start(listen=False)
    try:
        owner, claimed = scheduler_mod.subcloud_audit.claim(ctx, [subcloud_id], 30, 60)
        assert worker.accept(claimed, owner) == 1
        deadline = time.monotonic() + 10
        while worker._in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
    row = db_api.subcloud_get(ctx, subcloud_id)
    # no result: not a failed audit, still online, and free for the next scan
    assert (row.availability_status, row.audit_fail_count) == (states.ONLINE, 0)
    assert (row.audit_owner, row.last_audit_at) == (None, None)
