"""GroupCommit: items that arrive while a group is being written go together in the next one."""

import threading
import time

import pytest

from dcmanager.common import groupcommit


class _Store:
    """Records the groups written; the first write blocks until released."""

    def __init__(self, fail_on=None):
        self.groups = []
        self.finished = []
        self.first_started = threading.Event()
        self.release_first = threading.Event()
        self.fail_on = fail_on

    def write(self, group):
        if not self.groups:
            self.first_started.set()
            self.release_first.wait(10)
        self.groups.append(list(group))
        if self.fail_on in group:
            raise RuntimeError('database gone')
        return {item for item in group}

    def done(self, group, written, error):
        self.finished.append((list(group), written, error))


def _while_the_first_is_written(store, writer, items):
    """Add 0 (its write blocks), then ``items`` meanwhile; let the write go; wait for it."""
    first = threading.Thread(target=writer.add, args=(0,))
    first.start()
    assert store.first_started.wait(10)
    for item in items:
        writer.add(item)  # a write is in progress: handed over, returns at once
    assert store.groups == []
    store.release_first.set()
    first.join(10)


def test_results_arriving_during_a_write_form_the_next_group():
    store = _Store()
    writer = groupcommit.GroupCommit(store.write, store.done)
    _while_the_first_is_written(store, writer, range(1, 6))
    assert store.groups == [[0], [1, 2, 3, 4, 5]]
    assert [(group, error) for group, _, error in store.finished] == \
        [([0], None), ([1, 2, 3, 4, 5], None)]
    # nothing pending: the next result is written by its own thread at once
    store2 = []
    writer._write = lambda group: store2.append(group) or set(group)
    writer.add(6)
    assert store2 == [[6]]


def test_a_group_is_at_most_max_group_results():
    store = _Store()
    writer = groupcommit.GroupCommit(store.write, store.done, max_group=2)
    _while_the_first_is_written(store, writer, range(1, 6))
    assert store.groups == [[0], [1, 2], [3, 4], [5]]


def test_a_failed_write_is_reported_and_the_next_groups_still_go():
    store = _Store(fail_on=2)
    writer = groupcommit.GroupCommit(store.write, store.done, max_group=2)
    _while_the_first_is_written(store, writer, range(1, 5))
    outcome = [(group, type(error).__name__ if error else None)
               for group, _, error in store.finished]
    assert outcome == [([0], None), ([1, 2], 'RuntimeError'), ([3, 4], None)]


def test_many_threads_lose_nothing():
    written = []
    lock = threading.Lock()

    def write(group):
        with lock:
            written.extend(group)
        return set(group)

    finished = []
    writer = groupcommit.GroupCommit(write, lambda group, w, e: finished.extend(group))
    threads = [threading.Thread(target=lambda base=base: [writer.add(base + i)
                                                          for i in range(200)])
               for base in range(0, 16 * 1000, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    expected = sorted(base + i for base in range(0, 16 * 1000, 1000) for i in range(200))
    assert sorted(written) == expected
    assert sorted(finished) == expected


def test_call_waits_for_its_group_and_gets_its_own_result():
    store = _Store()
    store.write = lambda group, real=store.write: [item * 10 for item in real(group)]
    commit = groupcommit.GroupCommit(store.write)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault(0, commit.call(0)))
    first.start()
    assert store.first_started.wait(10)
    others = [threading.Thread(target=lambda i=i: results.setdefault(i, commit.call(i)))
              for i in range(1, 4)]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10
    while len(commit._pending) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert results == {}  # nobody returns before its group is written
    store.release_first.set()
    for thread in [first] + others:
        thread.join(10)
    assert results == {0: 0, 1: 10, 2: 20, 3: 30}
    assert store.groups == [[0], [1, 2, 3]]


def test_call_raises_the_error_of_its_group():
    def write(group):
        raise RuntimeError('database gone')

    commit = groupcommit.GroupCommit(write)
    with pytest.raises(RuntimeError, match='database gone'):
        commit.call('item')
    commit._write = lambda group: ['ok' for _ in group]
    assert commit.call('item') == 'ok'  # the next group is written again
