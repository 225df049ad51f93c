"""A write transaction that reads first must wait for a concurrent SQLite writer, not fail.

Without the write lock taken at the start of every writer (``db.sqlalchemy.core.writer``), the
read snapshot goes stale while the other writer commits and SQLite answers "database is locked"
at once instead of waiting.
"""

import threading
import time

import pytest
import sqlalchemy as sa

from dcmanager.db import api as db_api


def test_read_then_write_waits_for_another_writer(site, backend):
    if backend != 'embedded':
        pytest.skip('SQLite behaviour')
    engine = db_api.get_engine()
    holding = threading.Event()

    def other_writer():
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE subcloud_group SET description = 'other' WHERE id = 1"))
            holding.set()
            time.sleep(0.3)

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert holding.wait(5)
    try:
        # subcloud_group_update reads the row, then writes it.
        group = db_api.subcloud_group_update(site.context(), 1, {'max_parallel_subclouds': 7})
        assert group.max_parallel_subclouds == 7
    finally:
        thread.join()
        site.reset_database()
