"""The local system: this site's UUID and name, stored once, checked against the configuration
(a real site restarted with another UUID: tests/integration/test_local_system_start.py)."""

import concurrent.futures
import uuid

import pytest

from dcmanager import objects
from dcmanager.common import exception
from dcmanager.conf import CONF


@pytest.fixture
def fresh(api):
    """No local system row yet (the database is emptied after each test)."""
    yield


@pytest.fixture
def conf_override():
    names = []

    def override(name, value):
        names.append(name)
        CONF.set_override(name, value)
    yield override
    for name in names:
        CONF.clear_override(name)


def test_created_once_with_the_configured_name(fresh, ctx):
    first = objects.LocalSystem.get(ctx)
    assert first.system_name == CONF.system_name == 'SystemController'
    assert str(uuid.UUID(first.system_uuid)) == first.system_uuid
    assert objects.LocalSystem.get(ctx).system_uuid == first.system_uuid


def test_concurrent_first_starts_agree(fresh, ctx):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        found = set(pool.map(lambda _: objects.LocalSystem.get(ctx).system_uuid, range(16)))
    assert len(found) == 1


def test_a_configured_uuid_is_the_one_stored(fresh, ctx, conf_override):
    configured = str(uuid.uuid4())
    conf_override('system_uuid', configured)
    assert objects.LocalSystem.ensure(ctx).system_uuid == configured


def test_another_configured_uuid_is_refused(fresh, ctx, conf_override):
    stored = objects.LocalSystem.get(ctx).system_uuid
    conf_override('system_uuid', str(uuid.uuid4()))
    with pytest.raises(exception.LocalSystemMismatch) as info:
        objects.LocalSystem.ensure(ctx)
    assert stored in str(info.value)
    assert objects.LocalSystem.get(ctx).system_uuid == stored


def test_a_changed_name_renames_the_site(fresh, ctx, conf_override):
    stored = objects.LocalSystem.get(ctx)
    conf_override('system_name', 'SiteA')
    renamed = objects.LocalSystem.ensure(ctx)
    assert (renamed.system_uuid, renamed.system_name) == (stored.system_uuid, 'SiteA')
