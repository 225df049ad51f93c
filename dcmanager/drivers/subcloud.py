"""Client of one subcloud: its audit agent (and later its rehome entry point), through the identity
layer.

A real StarlingX subcloud and ``dcmanager-subcloud-sim`` answer the same paths: the identity API at
``<identity_url>`` (Keystone v3) and the audit agent at ``PATCH <agent_url>/v1/dcaudit``.
"""

from keystoneauth1 import exceptions as ks_exc

from dcmanager.common import crypto, exception
from dcmanager.conf import CONF
from dcmanager.drivers import identity, pools, transport

# Said, instead of a timeout or a TLS failure, of an https URL whose port answers plain HTTP.
PLAIN_HTTP = 'the port answers plain HTTP, not TLS; set [subcloud] scheme = http'


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
    """Calls to one subcloud with a session from ``pool`` (``identity.SessionPool``)."""

    def __init__(self, pool, identity_url, agent_url, username, password, project_name='admin',
                 user_domain_name='Default', project_domain_name='Default'):
        self.identity_url = identity_url
        self.agent_url = agent_url.rstrip('/')
        self.connect_timeout, self.read_timeout = pool.connect_timeout, pool.read_timeout
        self.session = pool.get(identity_url, username, password, project_name, user_domain_name,
                                project_domain_name)

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
        audit interval: an audit never outlasts it). A 401 is retried once with a renewed token
        (keystoneauth and the token cache), a connection that failed once more, a timeout never;
        any other failure raises an ``OutboundError``: ``service='identity'`` for the token (as
        ``identity_info``), ``service='agent'`` for the agent's answer, an answer that is not
        JSON included (``AnswerRejected`` of kind ``malformed``).
        """
        limit = self.connect_timeout + self.read_timeout
        if within is not None:
            limit = min(limit, within)
        with transport.deadline(limit):
            try:
                try:
                    resp = self._patch(audits)
                except ks_exc.ConnectFailure:
                    # The audit only reads, so a connection the server closed under us (an
                    # idle keep-alive one) is safely tried once more; a timeout is not (it
                    # would double the time a hung subcloud holds the audit).
                    resp = self._patch(audits)
            except exception.AnswerRejected as e:
                # Only a TLS failure is probed here, never a timeout: a hung subcloud is
                # audited again and again, and each probe would hold the audit longer.
                if e.kind == 'tls' and self._answers_plain_http(self.identity_url):
                    raise _plain_http(self.identity_url, 'identity') from None
                raise
            except ks_exc.ClientException as e:
                raise self._agent_failure(e, limit) from None
        try:
            return resp.json()
        except ValueError:
            raise exception.AnswerRejected(
                target=self.agent_url, kind='malformed', service='agent',
                reason='the audit agent answered something that is not JSON') from None

    @staticmethod
    def _answers_plain_http(url):
        return url.startswith('https://') and transport.answers_plain_http(url)

    def _patch(self, audits):
        return self.session.request(self.agent_url + '/v1/dcaudit', 'PATCH',
                                    json={name: '' for name in audits}, raise_exc=True,
                                    connect_retries=0)

    def _agent_failure(self, error, limit):
        """The typed ``OutboundError`` (``service='agent'``) for the agent call's ``error``."""
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


def _tls_or_timeout(error):
    """A failure that plain HTTP on an https port causes: a TLS failure, or a timeout of the
    request itself (not of another caller's token renewal)."""
    if isinstance(error, exception.TargetTimedOut):
        return error.kind != 'renewal'
    return error.kind == 'tls'


def _plain_http(url, service):
    return exception.AnswerRejected(target=url, reason=PLAIN_HTTP, kind='plain-http',
                                    service=service)
