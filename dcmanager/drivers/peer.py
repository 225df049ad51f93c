"""Client of the peer site: its dcmanager v1.0 API, as this site's user in its Keystone.

A system peer names the peer site's Keystone (``manager-endpoint``) and a user there that holds
the peer role (``manager-username`` and its password). The client authenticates through the
identity layer (the token cache: one token per peer identity per lifetime; new credentials are a
new identity, so an edited password counts from the next call), finds the peer's ``dcmanager``
endpoint in that token's catalog (``[peer] endpoint_interface`` and ``endpoint_region``) and calls
the peer's ordinary v1.0 API with JSON bodies.

Every call is bounded: a token request, when one is needed, and the API's answer take at most
``[peer] connect_timeout + read_timeout`` in all, never longer than the ``within`` the caller
gives (a heartbeat: its interval less a second). A failure is a typed ``OutboundError``
(``service='peer'``, or ``'identity'`` for the token request): ``TargetUnreachable``,
``TargetTimedOut``, ``AuthenticationRefused`` (401/403), ``TargetNotFound`` (404),
``StaleLeaderTerm`` (the peer's ``LeaderTermStale`` or ``LeaderConflict`` refusal), or
``AnswerRejected`` (any other status, an answer that is not JSON, no endpoint in the catalog),
with the peer's error class in ``error`` when it said one. Nothing is read from the text of an
answer.

Every write of a group's data carries the writer's leader term of the group (``leader-term``).
"""

import urllib.parse

from keystoneauth1 import exceptions as ks_exc

from dcmanager.common import crypto, exception
from dcmanager.conf import CONF
from dcmanager.drivers import identity, pools, transport

SERVICE_TYPE = 'dcmanager'
API_VERSION = 'v1.0'
# Sent so that a reference (StarlingX) peer site takes our calls for a peer's; it grants nothing
# on a site of ours, where the peer role alone counts.
USER_AGENT = 'dcmanager/1.0'


def acquire_pool(database_records):
    """The process-wide SessionPool of calls to peer sites; give it back with
    ``release_pool``. ``database_records`` as for the subclouds' pool."""
    peer = CONF.peer
    timeout = (peer.connect_timeout, peer.read_timeout)
    key = ('peer', CONF.token_cache.backend, peer.ca_file, timeout)
    return pools.acquire(key, lambda: identity.SessionPool(
        identity.make_token_cache(database_records), timeout=timeout,
        verify=peer.ca_file or True, fingerprint=crypto.fingerprint))


def release_pool(pool):
    """Give back a pool of ``acquire_pool``."""
    pools.release(pool)


def _quote(ref):
    return urllib.parse.quote(str(ref), safe='')


class PeerClient:
    """Calls to the peer site whose Keystone is ``auth_url``, as ``username``."""

    def __init__(self, pool, auth_url, username, password):
        peer = CONF.peer
        self.auth_url = auth_url
        self.limit = pool.connect_timeout + pool.read_timeout
        self.session = pool.get(auth_url, username, password, project_name=peer.project_name,
                                user_domain_name=peer.user_domain_name,
                                project_domain_name=peer.project_domain_name)

    # ------------------------------------------------------------------ the calls

    def heartbeat(self, local_uuid, within=None):
        """The peer site's system peer for this site (``GET /system-peers/<our uuid>``): it
        answers, accepts our credentials, and knows us. TargetNotFound when it does not."""
        return self.get('system-peers/%s' % _quote(local_uuid), within=within)

    def get(self, path, within=None):
        """GET ``path`` (below v1.0/) of the peer's API: its JSON answer."""
        return self._call('GET', path, within=within)

    def post(self, path, body, within=None):
        """POST the JSON ``body`` to ``path``: the peer's JSON answer."""
        return self._call('POST', path, body, within=within)

    def patch(self, path, body, within=None):
        """PATCH ``path`` with the JSON ``body``: the peer's JSON answer."""
        return self._call('PATCH', path, body, within=within)

    def delete(self, path, within=None):
        """DELETE ``path``."""
        return self._call('DELETE', path, within=within)

    # ------------------------------------------------------------------ the machinery

    def _call(self, method, path, body=None, within=None):
        limit = self.limit if within is None else min(self.limit, within)
        with transport.deadline(limit):
            url = self._endpoint() + '/' + path.lstrip('/')
            try:
                # A body may hold a subcloud's admin password: keystoneauth would log it at
                # debug level, so a call with a body is never logged by it.
                resp = self.session.request(
                    url, method, json=body, raise_exc=True, connect_retries=0,
                    log=body is None,
                    headers={'Accept': 'application/json', 'User-Agent': USER_AGENT})
            except ks_exc.ClientException as e:
                raise self._failure(e, url, limit) from None
        try:
            return resp.json()
        except ValueError:
            raise exception.AnswerRejected(
                target=url, kind='malformed', service='peer',
                reason='the answer to %s is not JSON' % method) from None

    def _endpoint(self):
        """The peer's v1.0 URL, from the token's catalog (authenticating when needed)."""
        try:
            url = self.session.get_endpoint(service_type=SERVICE_TYPE,
                                            interface=CONF.peer.endpoint_interface,
                                            region_name=CONF.peer.endpoint_region)
        except ks_exc.EndpointNotFound:
            url = None
        except ks_exc.ClientException as e:
            raise identity.failure(e, self.auth_url) from None
        if not url:
            raise exception.AnswerRejected(
                target=self.auth_url, kind='malformed', service='identity',
                reason='no %s endpoint (interface %s%s) in the catalog' % (
                    SERVICE_TYPE, CONF.peer.endpoint_interface,
                    ', region %s' % CONF.peer.endpoint_region if CONF.peer.endpoint_region
                    else ''))
        url = url.rstrip('/')
        # StarlingX registers .../v1.0; a bare root is accepted too.
        return url if url.endswith('/' + API_VERSION) else url + '/' + API_VERSION

    def _failure(self, error, url, limit):
        cls, kind, status = transport.classify(error)
        answer = _error_body(error)
        code = answer.get('error')
        if status == 404:
            cls, kind = exception.TargetNotFound, 'not-found'
        elif code in ('LeaderTermStale', 'LeaderConflict'):
            cls, kind = exception.StaleLeaderTerm, 'stale-term'
        if status is not None:
            reason = 'HTTP %s%s' % (status, ': %s' % answer['description']
                                    if answer.get('description') else '')
        elif cls is exception.TargetTimedOut:
            reason = 'no answer within %g s' % limit
        else:
            reason = transport.detailed('connection failed', kind)
        return cls(target=url, reason=reason, kind=kind, status=status, service='peer',
                   error=code)


def _error_body(error):
    """The JSON error of a dcmanager answer (``{"code", "title", "description", "error"}``), or
    {} when there is none."""
    response = getattr(error, 'response', None)
    if response is None:
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
