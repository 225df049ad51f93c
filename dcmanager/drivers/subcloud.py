"""Client of one subcloud: its audit agent (and later its rehome entry point), through the identity
layer.

A real StarlingX subcloud and ``dcmanager-subcloud-sim`` answer the same paths: the identity API at
``<identity_url>`` (Keystone v3) and the audit agent at ``PATCH <agent_url>/v1/dcaudit``.
"""

from keystoneauth1 import exceptions as ks_exc

from dcmanager.common import exception
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
        identity.make_token_cache(database_records), timeout=timeout, verify=sc.ca_file or True))


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

        ``IdentityError`` when the identity service is unreachable, refuses the credentials or
        gives a token without an identity endpoint; when an https URL failed at TLS or timed
        out and its port answers plain HTTP, the error says so (``PLAIN_HTTP``).
        """
        try:
            auth_ref = self.session.auth.get_access(self.session)
        except exception.IdentityError as e:
            if e.kwargs.get('failure') in ('timeout', 'tls') and \
                    self._answers_plain_http(self.identity_url):
                raise exception.IdentityError(target=self.identity_url, reason=PLAIN_HTTP,
                                              failure='plain-http') from None
            raise
        except ks_exc.ClientException as e:
            raise exception.IdentityError(target=self.identity_url,
                                          reason=e.__class__.__name__) from None
        endpoints = auth_ref.service_catalog.get_endpoints(service_type='identity')
        regions = [ep.get('region_id') or ep.get('region')
                   for ep in endpoints.get('identity', [])]
        regions = [region for region in regions if region]
        if not regions:
            raise exception.IdentityError(target=self.identity_url,
                                          reason='the token has no identity endpoint with a '
                                                 'region in its catalog')
        return {'region_name': regions[0], 'project_id': auth_ref.project_id,
                'user_id': auth_ref.user_id}

    def audit(self, audits=('base_audit', 'alarm_audit')):
        """PATCH /v1/dcaudit: the subcloud's availability and alarm counts.

        All of it (a token request, when one is needed, and the agent's answer) takes at most
        the pool's connect + read timeouts. A 401 is retried once with a renewed token
        (keystoneauth and the token cache), a connection that failed once more, a timeout never;
        any other failure raises ``SubcloudUnreachable`` (``IdentityError`` for the token).
        """
        with transport.deadline(self.connect_timeout + self.read_timeout):
            try:
                try:
                    resp = self._patch(audits)
                except ks_exc.ConnectFailure:
                    # The audit only reads, so a connection the server closed under us (an
                    # idle keep-alive one) is safely tried once more; a timeout is not (it
                    # would double the time a hung subcloud holds the audit).
                    resp = self._patch(audits)
            except exception.IdentityError as e:
                # Only a TLS failure is probed here, never a timeout: a hung subcloud is
                # audited again and again, and each probe would hold the audit longer.
                if e.kwargs.get('failure') == 'tls' and \
                        self._answers_plain_http(self.identity_url):
                    raise exception.IdentityError(target=self.identity_url, reason=PLAIN_HTTP,
                                                  failure='plain-http') from None
                raise
            except ks_exc.SSLError:
                reason = PLAIN_HTTP if self._answers_plain_http(self.agent_url) else 'TLS failure'
                raise exception.SubcloudUnreachable(target=self.agent_url,
                                                    reason=reason) from None
            except ks_exc.http.HttpError as e:
                raise exception.SubcloudUnreachable(target=self.agent_url,
                                                    reason='HTTP %s' % e.http_status) from None
            except ks_exc.ClientException as e:
                raise exception.SubcloudUnreachable(target=self.agent_url,
                                                    reason=self._reason(e)) from None
        return resp.json()

    @staticmethod
    def _answers_plain_http(url):
        return url.startswith('https://') and transport.answers_plain_http(url)

    def _patch(self, audits):
        return self.session.request(self.agent_url + '/v1/dcaudit', 'PATCH',
                                    json={name: '' for name in audits}, raise_exc=True,
                                    connect_retries=0)

    def _reason(self, error):
        if isinstance(error, ks_exc.ConnectTimeout):
            return 'no answer within the time allowed (connect %g s, read %g s, %g s in all)' % (
                self.connect_timeout, self.read_timeout,
                self.connect_timeout + self.read_timeout)
        if isinstance(error, ks_exc.ConnectFailure):
            return 'connection failed'
        return error.__class__.__name__
