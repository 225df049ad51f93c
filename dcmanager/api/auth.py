"""Token validation that a hung Keystone cannot turn into a denial of service.

keystonemiddleware's ``auth_token`` validates every token a request carries with Keystone (its
own cache aside), in the request's thread. If Keystone accepts connections but never answers,
each such request holds its thread until keystonemiddleware's timeout (``[keystone_authtoken]
http_connect_timeout``, 5 s by default in dcmanager, see ``dcmanager.conf.authtoken``), and
requests with made-up tokens are enough to hold every thread of the API, even those ``GET /``
needs, which needs no token.

Two bounds keep a hung Keystone from costing more than that:

- At most ``slots`` requests (``[api] threads`` - 1) talk to Keystone at once. A request that
  must ask Keystone and finds them all taken is answered 503 at once, without waiting. So at
  least one request thread is always free: for ``GET /``, for requests whose token is in
  keystonemiddleware's cache (``token_cache_time``: an operator's token validated a moment before
  Keystone hung still works), and to refuse the rest quickly.
- Once a call to Keystone has failed (no answer in time, connection refused), Keystone is not
  asked again for ``RETRY_AFTER`` seconds: requests that would ask it are answered 503 at once.
  Without it, requests would pay the timeout one after the other: keystonemiddleware fetches its
  own service token under a lock, so each request waiting for that lock would, once it gets it,
  try again for as long as the one before.

Both 503s are in the API's error shape (``dcmanager.api.errors``) and carry a Retry-After
header; keystonemiddleware's own (it lets a timeout of keystoneauth through as a 500) become the
same. The bounds are kept around keystonemiddleware's client of Keystone and its authentication
plugin (``_create_identity_server``, ``_create_auth_plugin``: the hooks it builds them with), so a
token found in its cache never waits for a slot.
"""

import functools
import threading
import time

from keystoneauth1 import exceptions as ksa_exceptions
from keystonemiddleware import auth_token
from oslo_log import log as logging
import webob.exc

from dcmanager.api import errors, hooks
from dcmanager.common import exception

LOG = logging.getLogger(__name__)
RETRY_AFTER = exception.IdentityUnavailable.retry_after
# What a Keystone that is down or hung makes keystoneauth raise (ConnectTimeout and
# ConnectFailure are both ConnectionErrors).
_KEYSTONE_FAILURES = (ksa_exceptions.ConnectionError, ksa_exceptions.DiscoveryFailure,
                      ksa_exceptions.RequestTimeout)


def default_slots(threads):
    """Requests that may wait for Keystone at once, out of ``threads`` request threads."""
    return max(1, threads - 1)


class _NoSlot(Exception):
    """Every slot is taken by a request waiting for Keystone."""


class _RecentlyFailed(Exception):
    """Keystone failed less than RETRY_AFTER seconds ago."""


class _Gate:
    """The slots, and when Keystone may be asked again after a failure."""

    def __init__(self, slots, clock=time.monotonic):
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)
        self._clock = clock
        self._closed_until = 0.0

    def check(self):
        if self._clock() < self._closed_until:
            raise _RecentlyFailed()

    def call(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` in a slot; a Keystone failure closes the gate a while."""
        self.check()
        if not self._free.acquire(blocking=False):
            raise _NoSlot()
        try:
            return fn(*args, **kwargs)
        except _KEYSTONE_FAILURES:
            self.failed()
            raise
        finally:
            self._free.release()

    def failed(self):
        self._closed_until = self._clock() + RETRY_AFTER


class _GatedIdentityServer:
    """keystonemiddleware's client of Keystone, through the gate."""

    def __init__(self, server, gate):
        self._server = server
        self._gate = gate

    def verify_token(self, *args, **kwargs):
        return self._gate.call(self._server.verify_token, *args, **kwargs)

    @property
    def www_authenticate_uri(self):
        # Asked of Keystone (its catalog) only when [keystone_authtoken] does not set it.
        return self._gate.call(lambda: self._server.www_authenticate_uri)

    def __getattr__(self, name):
        return getattr(self._server, name)


def _checked_first(gate, get_auth_ref):
    """The plugin's token fetch, refused at once while the gate is closed (a request that
    waited for the plugin's lock behind one that failed does not try again)."""
    @functools.wraps(get_auth_ref)
    def fetch(*args, **kwargs):
        gate.check()
        try:
            return get_auth_ref(*args, **kwargs)
        except _KEYSTONE_FAILURES:
            gate.failed()
            raise
    return fetch


class _RefusalLog:
    """One log line per ``every`` seconds for the 503s of the gate, however many: a client
    sending requests with made-up tokens as fast as they are refused must not flood the log."""

    def __init__(self, every=10.0, clock=time.monotonic):
        self._every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._counts = {}
        self._logged_at = None

    def refused(self, reason):
        with self._lock:
            now = self._clock()
            self._counts[reason] = self._counts.get(reason, 0) + 1
            if self._logged_at is not None and now - self._logged_at < self._every:
                return
            counts, since = self._counts, self._logged_at
            self._counts, self._logged_at = {}, now
        summary = ', '.join('%d %s' % (n, r) for r, n in sorted(counts.items()))
        if since is None:
            LOG.warning('Keystone unavailable: 503 to a request (%s)', summary)
        else:
            LOG.warning('Keystone unavailable: 503 to requests in the last %.0f s: %s',
                        now - since, summary)


class KeystoneGate(auth_token.AuthProtocol):
    """keystonemiddleware's ``auth_token`` with at most ``slots`` requests in Keystone's hands,
    and none for a while after Keystone failed."""

    def __init__(self, app, conf, slots):
        self._gate = _Gate(slots)
        self._refusals = _RefusalLog()
        super().__init__(app, {'oslo_config_config': conf})

    def _create_auth_plugin(self):
        plugin = super()._create_auth_plugin()
        if hasattr(plugin, 'get_auth_ref'):
            plugin.get_auth_ref = _checked_first(self._gate, plugin.get_auth_ref)
        return plugin

    def _create_identity_server(self):
        return _GatedIdentityServer(super()._create_identity_server(), self._gate)

    def process_request(self, request):
        try:
            return super().process_request(request)
        except _NoSlot:
            return self._unavailable(request, exception.IdentityBusy(slots=self._gate.slots),
                                     'refused: every slot waiting for Keystone')
        except _RecentlyFailed:
            return self._unavailable(request, exception.IdentityUnavailable(),
                                     'refused: Keystone failed less than %d s ago' % RETRY_AFTER)
        except webob.exc.HTTPServiceUnavailable:
            # keystonemiddleware has logged why (without the token).
            return self._unavailable(request, exception.IdentityUnavailable(),
                                     'failed to validate')
        except _KEYSTONE_FAILURES as e:
            # Let through by keystonemiddleware (a ConnectTimeout of its service token).
            LOG.error('Unable to validate a token: %s', e)
            return self._unavailable(request, exception.IdentityUnavailable(),
                                     'failed to validate')

    def _unavailable(self, request, error, reason):
        self._refusals.refused(reason)
        return errors.unlogged_response(error, accept=request.environ.get(
            hooks.ORIGINAL_ACCEPT, '*/*'), method=request.method)
