"""Enrollment of an added subcloud, run by the manager after ``add_subcloud`` has answered.

``pre-enroll``: reach the identity API at the subcloud's bootstrap address, authenticate as the
configured admin user with the admin password of its bootstrap values, and learn its region from
the token's catalog (a region another subcloud has is refused). ``enrolling``: record the region
and ask the subcloud's audit agent once for its availability. ``complete`` when both worked; else
``pre-enroll-failed`` or ``enroll-failed`` with an error description that says why (and holds no
secret). Each step is a compare-and-set of the deploy status, so a subcloud deleted or changed
meanwhile is left alone.

Enrollments run on a bounded pool (``[subcloud] enroll_workers``, ``enroll_max_pending``).

Owner: the manager that accepted an enrollment runs it, and the subcloud records it (its
``[DEFAULT] host``) as the owner of its transitory deploy status: written with the status when
the subcloud is created in ``pre-enroll`` and at each step, cleared when it reaches ``complete``
or a failure status. A step also checks the owner, so only the owner moves its enrollment on.

Recovery: a subcloud its owner left in ``pre-enroll`` or ``enrolling`` (restarted or died) is
moved to its failure status by ``manager/recovery.py``; since every step is a compare-and-set of
the status it leaves, an enrollment recovered under a manager thought dead cannot move on.
"""

import threading

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import context as dc_context
from dcmanager.common import exception, states
from dcmanager.conf import CONF
from dcmanager.drivers import subcloud as subcloud_driver
from dcmanager.drivers import workqueue
from dcmanager.objects import token_store

LOG = logging.getLogger(__name__)

_RETRY_HINT = (' Once this is fixed, run the enrollment again: dcmanager subcloud redeploy (with '
               'new bootstrap values or install values if needed).')


def _identity_failure(error, url):
    """What a failed enrollment says of ``error`` (an ``OutboundError``) from the identity
    service at ``url``: decided by its class, never by its text."""
    if isinstance(error, exception.AuthenticationRefused):
        return ('Authentication to the subcloud\'s identity service at %s failed (HTTP %s): '
                'check admin_password in the bootstrap values.' % (url, error.status))
    if isinstance(error, exception.TargetUnreachable | exception.TargetTimedOut):
        return ('The subcloud\'s identity service at %s is unreachable (%s): check the '
                'bootstrap-address and that the subcloud is up.' % (url, error.reason))
    if isinstance(error, exception.AnswerRejected) and error.kind == 'plain-http':
        return '%s: %s.' % (url, error.reason)
    return 'The subcloud\'s identity service at %s failed: %s.' % (url, error.reason)


def _agent_failure(error, url):
    """What a failed enrollment says of ``error`` (an ``OutboundError``) from the audit agent
    at ``url`` (or from the identity service, for its token)."""
    if isinstance(error, exception.AnswerRejected) and error.kind == 'malformed' \
            and error.service == 'agent':
        return 'The subcloud\'s audit agent at %s gave an answer this site does not understand.' \
            % url
    return 'The subcloud\'s audit agent at %s did not answer: %s.' % (url, error)


class Enroller:
    """The manager's enrollment pool; ``host`` (default ``[DEFAULT] host``) is recorded as the
    owner of the enrollments it runs."""

    def __init__(self, host=None):
        self.host = host or CONF.host
        sc = CONF.subcloud
        self.queue = workqueue.WorkQueue(workers=sc.enroll_workers,
                                         max_pending=sc.enroll_max_pending, retry_delay=0,
                                         name='enroll')
        # The process's pool of calls to subclouds, shared with the audit worker.
        self.pool = subcloud_driver.acquire_pool(token_store.DatabaseTokenRecords)
        self._stopping = threading.Event()

    def check_capacity(self):
        """Overloaded (503) when no more enrollment can be accepted: refuse before creating."""
        if self._stopping.is_set() or self.queue.pending >= self.queue.max_pending:
            raise exception.Overloaded(queue=self.queue.name, limit=self.queue.max_pending)

    def submit(self, context, subcloud):
        """Queue the enrollment of ``subcloud`` (just created); returns the subcloud as stored
        (``pre-enroll-failed`` if the pool filled up since ``check_capacity``)."""
        try:
            self.queue.submit(self._run, subcloud.id)
        except exception.Overloaded as e:
            self._fail(context, subcloud.id, states.DEPLOY_PRE_ENROLL,
                       states.DEPLOY_PRE_ENROLL_FAILED,
                       'The manager could not take on the enrollment: %s.%s' % (e, _RETRY_HINT))
            return objects.Subcloud.get_by_id(context, subcloud.id)
        return subcloud

    def stop(self):
        """Run no more enrollments: those not started yet fail at once (pre-enroll-failed)."""
        self._stopping.set()
        self.queue.stop(wait=True)
        subcloud_driver.release_pool(self.pool)

    # the job

    def _fail(self, context, subcloud_id, from_status, to_status, description):
        if objects.Subcloud.transition(context, subcloud_id, from_status, to_status,
                                       owner=self.host, error_description=description[:2048]):
            LOG.warning('Enrollment of subcloud %(id)s: %(state)s: %(why)s',
                        {'id': subcloud_id, 'state': to_status, 'why': description})

    def _run(self, subcloud_id):
        context = dc_context.get_admin_context()
        try:
            self._enroll(context, subcloud_id)
        except Exception:
            # The pool's thread boundary: never leave the subcloud in a transitory status.
            LOG.exception('Enrollment of subcloud %s failed unexpectedly', subcloud_id)
            why = 'The enrollment failed unexpectedly; the manager\'s log says why.'
            self._fail(context, subcloud_id, states.DEPLOY_PRE_ENROLL,
                       states.DEPLOY_PRE_ENROLL_FAILED, why)
            self._fail(context, subcloud_id, states.DEPLOY_ENROLLING,
                       states.DEPLOY_ENROLL_FAILED, why)

    def _enroll(self, context, subcloud_id):
        try:
            subcloud = objects.Subcloud.get_by_id(context, subcloud_id)
        except exception.SubcloudNotFound:
            return  # deleted before its turn
        if subcloud.deploy_status != states.DEPLOY_PRE_ENROLL:
            return
        if self._stopping.is_set():
            self._fail(context, subcloud_id, states.DEPLOY_PRE_ENROLL,
                       states.DEPLOY_PRE_ENROLL_FAILED,
                       'The manager stopped before enrolling the subcloud.' + _RETRY_HINT)
            return
        client = self._pre_enroll(context, subcloud)
        if client is not None:
            self._enrolling(context, subcloud, client)

    def _pre_enroll(self, context, subcloud):
        """Identity and region; the client for the next step, or None (failed, or gone)."""
        password = objects.Subcloud.get_secrets(context, subcloud.id).get('admin_password')
        if not password:
            self._fail(context, subcloud.id, states.DEPLOY_PRE_ENROLL,
                       states.DEPLOY_PRE_ENROLL_FAILED,
                       'No admin password is known for the subcloud.' + _RETRY_HINT)
            return None
        client = subcloud_driver.for_address(self.pool, subcloud.bootstrap_address, password)
        try:
            region = client.identity_info()['region_name']
        except exception.OutboundError as e:
            self._fail(context, subcloud.id, states.DEPLOY_PRE_ENROLL,
                       states.DEPLOY_PRE_ENROLL_FAILED,
                       _identity_failure(e, client.identity_url) + _RETRY_HINT)
            return None
        try:
            other = objects.Subcloud.get_by_region_name(context, region)
        except exception.SubcloudNotFound:
            other = None
        if other is not None and other.id != subcloud.id:
            self._fail(context, subcloud.id, states.DEPLOY_PRE_ENROLL,
                       states.DEPLOY_PRE_ENROLL_FAILED,
                       'The subcloud at %s has region %s, which subcloud %s already has.'
                       % (subcloud.bootstrap_address, region, other.name))
            return None
        try:
            moved = objects.Subcloud.transition(context, subcloud.id, states.DEPLOY_PRE_ENROLL,
                                                states.DEPLOY_ENROLLING, owner=self.host,
                                                region_name=region)
        except exception.Conflict:
            self._fail(context, subcloud.id, states.DEPLOY_PRE_ENROLL,
                       states.DEPLOY_PRE_ENROLL_FAILED,
                       'The subcloud at %s has region %s, which another subcloud already has.'
                       % (subcloud.bootstrap_address, region))
            return None
        return client if moved else None

    def _enrolling(self, context, subcloud, client):
        try:
            answer = client.audit(('base_audit',))
            availability = answer['base_audit']['availability']
        except exception.OutboundError as e:
            self._fail(context, subcloud.id, states.DEPLOY_ENROLLING, states.DEPLOY_ENROLL_FAILED,
                       _agent_failure(e, client.agent_url) + _RETRY_HINT)
            return
        except (KeyError, TypeError):
            self._fail(context, subcloud.id, states.DEPLOY_ENROLLING, states.DEPLOY_ENROLL_FAILED,
                       'The subcloud\'s audit agent at %s gave an answer this site does not '
                       'understand.%s' % (client.agent_url, _RETRY_HINT))
            return
        if availability not in states.AVAILABILITY_STATES:
            availability = states.OFFLINE
        if objects.Subcloud.transition(context, subcloud.id, states.DEPLOY_ENROLLING,
                                       states.DEPLOY_COMPLETE, owner=self.host,
                                       availability_status=availability,
                                       error_description=states.DEFAULT_ERROR_DESCRIPTION):
            LOG.info('Subcloud %(id)s (%(name)s) enrolled: %(availability)s',
                     {'id': subcloud.id, 'name': subcloud.name, 'availability': availability})
