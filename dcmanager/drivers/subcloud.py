"""Client of one subcloud: its audit agent and its rehome entry point, through the identity layer.

A real StarlingX subcloud and ``dcmanager-subcloud-sim`` answer the same paths: the identity API at
``<identity_url>`` (Keystone v3), the audit agent at ``PATCH <agent_url>/v1/dcaudit`` and the
rehome entry point at ``POST``/``GET <agent_url>/v1/rehome`` (its states: ``REHOME_STATES``).
"""

import http.client
import logging
import time

from keystoneauth1 import exceptions as ks_exc

from dcmanager.common import crypto, exception
from dcmanager.conf import CONF
from dcmanager.drivers import channel, identity, pools, transport

LOG = logging.getLogger(__name__)

# Said, instead of a timeout or a TLS failure, of an https URL whose port answers plain HTTP.
PLAIN_HTTP = 'the port answers plain HTTP, not TLS; set [subcloud] scheme = http'

# What the thin path (``drivers.channel``) raises for a failed request, typed by ``_agent_failure``:
# socket and TLS errors (and requests' DeadlineExceeded: an OSError), what http.client finds
# wrong with an answer, keystoneauth's HttpError for a status, ValueError for an oversized one.
_THIN_FAILURES = (OSError, http.client.HTTPException, ks_exc.ClientException, ValueError)

# The states of a subcloud's last rehome (``GET /v1/rehome``): none asked (or the subcloud lost
# it), under way, ended well (the subcloud points at the new system controller), ended badly.
REHOME_IDLE, REHOMING, REHOMED, REHOME_FAILED = 'idle', 'rehoming', 'rehomed', 'failed'
REHOME_STATES = (REHOME_IDLE, REHOMING, REHOMED, REHOME_FAILED)


def _host(address):
    return '[%s]' % address if ':' in address else address


def identity_url(address):
    """The identity API (Keystone v3) of the subcloud reached at ``address``."""
    sc = CONF.subcloud
    return '%s://%s:%d/v3' % (sc.scheme, _host(address), sc.identity_port)


def agent_url(address):
    """The audit agent of the subcloud reached at ``address``."""
    sc = CONF.subcloud
    return '%s://%s:%d' % (sc.scheme, _host(address), sc.agent_port)


def acquire_pool(database_records):
    """The process-wide SessionPool of calls to subclouds (enrollment and audit share it, and
    so each subcloud's token); give it back with ``release_pool``. ``database_records`` builds
    the records of ``[token_cache] backend = database``
    (``dcmanager.objects.token_store.DatabaseTokenRecords``)."""
    sc = CONF.subcloud
    timeout = (sc.connect_timeout, sc.read_timeout)
    key = ('subcloud', CONF.token_cache.backend, sc.ca_file, timeout)
    return pools.acquire(key, lambda: identity.SessionPool(
        identity.make_token_cache(database_records), timeout=timeout, verify=sc.ca_file or True,
        fingerprint=crypto.fingerprint))


def release_pool(pool):
    """Give back a pool of ``acquire_pool``."""
    pools.release(pool)


def for_address(pool, address, password):
    """A SubcloudClient for the subcloud at ``address`` with the configured admin identity."""
    sc = CONF.subcloud
    return SubcloudClient(pool, identity_url(address), agent_url(address), sc.admin_username,
                          password, project_name=sc.admin_project,
                          user_domain_name=sc.admin_domain, project_domain_name=sc.admin_domain)


class SubcloudClient:
    """Calls to one subcloud from ``pool`` (``identity.SessionPool``): the audit over the thin
    path (``channel``: the subcloud's kept connection), the others over a keystoneauth session
    (made at the first of them), both with the pool's token cache."""

    def __init__(self, pool, identity_url, agent_url, username, password, project_name='admin',
                 user_domain_name='Default', project_domain_name='Default'):
        self.identity_url = identity_url
        self.agent_url = agent_url.rstrip('/')
        self.connect_timeout, self.read_timeout = pool.connect_timeout, pool.read_timeout
        self._pool = pool
        self._identity = (username, password, project_name, user_domain_name,
                          project_domain_name)
        self._session = None
        # Through a proxy (the environment's settings), the audit goes the keystoneauth way:
        # the thin path speaks to the subcloud directly only.
        self.channel = None if transport.proxied(identity_url) or transport.proxied(
            self.agent_url) else channel.get(pool, identity_url, self.agent_url, *self._identity)

    @property
    def session(self):
        """The keystoneauth session of this identity (the pool's; made on first use)."""
        if self._session is None:
            self._session = self._pool.get(self.identity_url, *self._identity)
        return self._session

    def identity_info(self):
        """Authenticate (through the token cache: at most one token request) and read the
        token: ``{"region_name", "project_id", "user_id"}``, the region being that of the
        identity endpoint in the token's catalog (a subcloud's region name).

        An ``OutboundError`` (``service='identity'``) when the identity service is unreachable
        (``TargetUnreachable``), does not answer in time (``TargetTimedOut``), refuses the
        credentials (``AuthenticationRefused``) or gives a token without an identity endpoint
        (``AnswerRejected``); when an https URL failed at TLS or timed out and its port answers
        plain HTTP, ``AnswerRejected`` of kind ``plain-http`` (its reason ``PLAIN_HTTP``).
        """
        try:
            auth_ref = self.session.auth.get_access(self.session)
        except (exception.TargetTimedOut, exception.AnswerRejected) as e:
            if _tls_or_timeout(e) and self._answers_plain_http(self.identity_url):
                raise _plain_http(self.identity_url, 'identity') from None
            raise
        except ks_exc.ClientException as e:
            raise identity.failure(e, self.identity_url) from None
        endpoints = auth_ref.service_catalog.get_endpoints(service_type='identity')
        regions = [ep.get('region_id') or ep.get('region')
                   for ep in endpoints.get('identity', [])]
        regions = [region for region in regions if region]
        if not regions:
            raise exception.AnswerRejected(
                target=self.identity_url, kind='malformed', service='identity',
                reason='the token has no identity endpoint with a region in its catalog')
        return {'region_name': regions[0], 'project_id': auth_ref.project_id,
                'user_id': auth_ref.user_id}

    def audit(self, audits=('base_audit', 'alarm_audit'), within=None):
        """PATCH /v1/dcaudit: the subcloud's availability and alarm counts.

        All of it (a token request, when one is needed, and the agent's answer) takes at most
        the pool's connect + read timeouts, and at most ``within`` seconds when given (the
        audit interval: an audit never outlasts it). Sent over the thin path (``channel``), or
        the keystoneauth session when the environment names a proxy for the subcloud. A 401 is
        retried once with a renewed token (the token cache, single-flight), a connection that
        failed once more, a timeout never;
        any other failure raises an ``OutboundError``: ``service='identity'`` for the token (as
        ``identity_info``), ``service='agent'`` for the agent's answer, an answer that is not
        JSON included (``AnswerRejected`` of kind ``malformed``).
        """
        # The audit only reads, so a connection the server closed under us (an idle keep-alive
        # one) is safely tried once more.
        body = {name: '' for name in audits}
        limit = self._limit(within)
        if self.channel is None:
            return self._call('PATCH', '/v1/dcaudit', body, limit, 'the audit agent',
                              retry_connection=True)
        with transport.deadline(limit):
            try:
                answer = self.channel.call('PATCH', '/v1/dcaudit', body, retry_connection=True)
            except exception.AnswerRejected as e:
                raise self._tls_of_identity(e) from None
            except _THIN_FAILURES as e:
                raise self._agent_failure(e, limit) from None
        try:
            return answer.json()
        except ValueError:
            raise exception.AnswerRejected(
                target=self.agent_url, kind='malformed', service='agent',
                reason='the audit agent answered something that is not JSON') from None

    def start_rehome(self, system_controller_address, bootstrap_address, within=None):
        """POST /v1/rehome: ask the subcloud to re-point itself at the system controller at
        ``system_controller_address``, reached by it at ``bootstrap_address`` (its own address,
        as the migrating site knows it). Returns the agent's answer, ``{"state": "rehoming"}``:
        the rehome is under way; follow it with ``rehome_state`` or ``wait_rehome``.

        Bounded like ``audit`` (connect + read timeouts, and ``within`` when given). Raises:
        ``RehomeInProgress`` (an ``AnswerRejected``, ``status`` 409, ``kind`` ``in-progress``)
        when the subcloud already runs a rehome (nothing was started); otherwise the
        ``OutboundError`` of ``audit``: ``AuthenticationRefused`` for a refused password or
        token, ``TargetUnreachable``, ``TargetTimedOut``, ``AnswerRejected`` (``status`` 400: a
        body the agent refused). After a ``TargetUnreachable`` or ``TargetTimedOut`` the rehome
        may or may not have started: ``rehome_state`` tells.
        """
        body = {'system_controller': {'address': system_controller_address},
                'bootstrap_address': bootstrap_address}
        try:
            # Never sent twice on a failed connection (unlike the audit): a POST is not
            # idempotent, and the connection may have broken after the subcloud took it and
            # started the rehome. keystoneauth's single re-send after a 401 (a renewed token)
            # is safe: a 401 means the agent refused the request without acting on it.
            answer = self._call('POST', '/v1/rehome', body, self._limit(within),
                                'the rehome entry point', retry_connection=False)
        except exception.AnswerRejected as e:
            if e.status == 409 and e.service == 'agent':
                raise exception.RehomeInProgress(
                    target=e.target, reason='a rehome is already in progress (HTTP 409)',
                    status=409, service='agent') from None
            raise
        return _rehome_view(answer, self.agent_url, ('state',))

    def rehome_state(self, within=None):
        """GET /v1/rehome: ``{"state", "system_controller", "reason"}`` of the subcloud's last
        rehome: ``state`` one of ``REHOME_STATES``; ``system_controller`` the one it points at
        after a rehome (``{"address": ...}``, or None); ``reason`` why it failed (or None).

        Bounded and typed as ``audit`` (read only, so a failed connection is tried once more);
        an answer without a known state is ``AnswerRejected`` of kind ``malformed``.
        """
        # Only reads, so a connection closed under us is safely tried once more (as the audit).
        answer = self._call('GET', '/v1/rehome', None, self._limit(within),
                            'the rehome entry point', retry_connection=True)
        return _rehome_view(answer, self.agent_url, ('state', 'system_controller', 'reason'))

    def wait_rehome(self, within=None, poll=None):
        """Poll ``rehome_state`` every ``poll`` seconds (``[subcloud] rehome_poll_interval``)
        until the rehome is no longer ``rehoming``, for at most ``within`` seconds in all
        (``[subcloud] rehome_timeout``), every call included; return the last view
        (``rehome_state``): ``rehomed``, ``failed`` (its ``reason`` says why) or ``idle`` (the
        subcloud has no rehome: it never got one, or lost it).

        A poll that finds the subcloud unreachable or hung (``TargetUnreachable``,
        ``TargetTimedOut``) is tried again at the next poll: a subcloud may be briefly away
        during its rehome. Any other ``OutboundError`` of ``rehome_state`` is raised at once.
        When ``within`` is over: ``TargetTimedOut`` (``kind`` ``deadline``, ``service``
        ``agent``) saying that the rehome did not end within ``within`` seconds.
        """
        within = CONF.subcloud.rehome_timeout if within is None else within
        poll = CONF.subcloud.rehome_poll_interval if poll is None else poll
        until = time.monotonic() + within
        last = 'no answer yet'
        while (left := until - time.monotonic()) > 0:
            try:
                view = self.rehome_state(within=left)
            except (exception.TargetUnreachable, exception.TargetTimedOut) as e:
                if not last.startswith('no answer:'):
                    LOG.warning('Rehome of %s: %s; polling on until it ends', self.agent_url, e)
                last = 'no answer: %s' % e.reason
            else:
                if view['state'] != REHOMING:
                    return view
                last = 'still rehoming'
            time.sleep(max(min(poll, until - time.monotonic()), 0))
        raise exception.TargetTimedOut(
            'The rehome of the subcloud at %s did not end within %g s (%s)'
            % (self.agent_url, within, last),
            target=self.agent_url, kind='deadline', service='agent',
            reason='the rehome did not end within %g s (%s)' % (within, last))

    def _limit(self, within):
        """Seconds one call may take: the pool's connect + read timeouts, at most ``within``."""
        limit = self.connect_timeout + self.read_timeout
        return limit if within is None else min(limit, within)

    def _call(self, method, path, body, limit, what, retry_connection):
        """``method`` ``path`` of the agent within ``limit`` seconds in all (the token request
        included): its JSON answer, or the typed ``OutboundError``. ``retry_connection``: send
        it once more when the connection failed (only for a request that is safe to repeat);
        a timeout is never retried (it would double the time a hung subcloud holds the
        caller)."""
        with transport.deadline(limit):
            try:
                try:
                    resp = self._send(method, path, body)
                except ks_exc.ConnectFailure:
                    if not retry_connection:
                        raise
                    resp = self._send(method, path, body)
            except exception.AnswerRejected as e:
                raise self._tls_of_identity(e) from None
            except ks_exc.ClientException as e:
                raise self._agent_failure(e, limit) from None
        try:
            return resp.json()
        except ValueError:
            raise exception.AnswerRejected(
                target=self.agent_url, kind='malformed', service='agent',
                reason='%s answered something that is not JSON' % what) from None

    def _tls_of_identity(self, error):
        """``error`` (a failed token request's), or the plain-HTTP one when it is a TLS failure
        and the identity port answers plain HTTP. Only a TLS failure is probed, never a
        timeout: a hung subcloud is called again and again, and each probe would hold the
        caller longer."""
        if error.kind == 'tls' and self._answers_plain_http(self.identity_url):
            return _plain_http(self.identity_url, 'identity')
        return error

    @staticmethod
    def _answers_plain_http(url):
        return url.startswith('https://') and transport.answers_plain_http(url)

    def _send(self, method, path, body):
        return self.session.request(self.agent_url + path, method, json=body, raise_exc=True,
                                    connect_retries=0)

    def _agent_failure(self, error, limit):
        """The typed ``OutboundError`` (``service='agent'``) for the agent call's ``error``
        (keystoneauth's, or the thin path's)."""
        cls, kind, status = transport.classify(error)
        if kind == 'tls' and self._answers_plain_http(self.agent_url):
            return _plain_http(self.agent_url, 'agent')
        if status is not None:
            reason = 'HTTP %s' % status
        elif cls is exception.TargetTimedOut:
            reason = 'no answer within the time allowed (connect %g s, read %g s, %g s in all)' % (
                self.connect_timeout, self.read_timeout, limit)
        elif kind == 'tls':
            reason = 'TLS failure'
        elif kind == 'malformed':
            reason = 'the audit agent gave an answer this site cannot use'
        else:
            reason = transport.detailed('connection failed', kind)
        return cls(target=self.agent_url, reason=reason, kind=kind, status=status,
                   service='agent')


def _rehome_view(answer, url, keys):
    """The ``keys`` of a rehome answer, or ``AnswerRejected`` (malformed) when its state is not
    one of ``REHOME_STATES``."""
    if not isinstance(answer, dict) or answer.get('state') not in REHOME_STATES:
        raise exception.AnswerRejected(
            target=url, kind='malformed', service='agent',
            reason='the rehome entry point answered without a known rehome state')
    return {key: answer.get(key) for key in keys}


def _tls_or_timeout(error):
    """A failure that plain HTTP on an https port causes: a TLS failure, or a timeout of the
    request itself (not of another caller's token renewal)."""
    if isinstance(error, exception.TargetTimedOut):
        return error.kind != 'renewal'
    return error.kind == 'tls'


def _plain_http(url, service):
    return exception.AnswerRejected(target=url, reason=PLAIN_HTTP, kind='plain-http',
                                    service=service)
