"""The manager's enrollment pool is bounded: an add it cannot take on is refused (503) before
anything is created, and nothing accepted is ever silently dropped."""

import threading

import pytest

from dcmanager import objects
from dcmanager.common import context as dc_context
from dcmanager.common import states
from dcmanager.conf import CONF
from dcmanager.manager import enroll
from tests import subcloud_forms as forms


@pytest.fixture
def full_pool(site):
    """The site manager's enrollment pool, filled with jobs that wait until released."""
    queue = site.manager.enroller.queue
    release = threading.Event()
    futures = []
    while queue.pending < queue.max_pending:
        futures.append(queue.submit(release.wait, 30))
    yield queue
    release.set()
    for future in futures:
        future.result(timeout=30)


def test_add_while_the_pool_is_full_is_503_and_creates_nothing(api, full_pool):
    form, files = forms.add_request('sc1', 1)
    resp = forms.post_add(api, form, files, status=503, headers={'Accept': 'application/json'})
    assert 'enroll work queue is full' in resp.json['description']
    assert api.get('/v1.0/subclouds').json == {'subclouds': []}


def test_a_full_pool_after_the_check_fails_the_subcloud_visibly(site, api):
    """The race the check cannot close: the pool fills between the check and the hand-over."""
    CONF.set_override('enroll_max_pending', 1, group='subcloud')
    CONF.set_override('enroll_workers', 1, group='subcloud')
    enroller = enroll.Enroller()
    release = threading.Event()
    try:
        ctx = dc_context.get_admin_context()
        subcloud = objects.Subcloud(name='sc1', group_id=1, management_state=states.UNMANAGED,
                                    availability_status=states.OFFLINE,
                                    deploy_status=states.DEPLOY_PRE_ENROLL,
                                    error_description=states.DEFAULT_ERROR_DESCRIPTION,
                                    bootstrap_address='127.0.3.1')
        subcloud.create(ctx)
        blocker = enroller.queue.submit(release.wait, 30)
        stored = enroller.submit(ctx, subcloud)
        assert stored.deploy_status == states.DEPLOY_PRE_ENROLL_FAILED
        assert 'could not take on the enrollment' in stored.error_description
        release.set()
        blocker.result(timeout=30)
    finally:
        release.set()
        enroller.stop()
        CONF.clear_override('enroll_max_pending', group='subcloud')
        CONF.clear_override('enroll_workers', group='subcloud')
    body = api.get('/v1.0/subclouds/sc1').json
    assert body['deploy-status'] == 'pre-enroll-failed'
