"""One simulated subcloud: its identity, settings, keys, rehome state, counters and fault gate.

Every request to either of its ports (or to its one port, when the identity API and the agent
share it: ``serve_shared`` tells them apart by path) goes through ``Subcloud._serve``: count it,
apply the faults (``delay`` first, then ``status``), then hand it to the identity or agent routes.
Counters are the ground truth that tests and benchmarks compare against what a client believes it
sent.
"""

import asyncio

from dcmanager.simulator import addresses, agent_api, http, identity, identity_api, rehome
from dcmanager.simulator import settings as settings_mod

COUNTERS = ('requests', 'token_posts', 'token_posts_ok', 'token_validations', 'audits',
            'unauthorized', 'rehomes')
UP = 'up'
DOWN = 'down'


class Subcloud:
    """State of the subcloud at ``address``; ``on_change`` is called after any persistent change."""

    def __init__(self, index, address, identity_port, agent_port, defaults, on_change=None):
        self.index = index
        self.address = address
        self.name = 'subcloud%d' % (index + 1)
        self.region_name = addresses.region_name(address)
        self.user_id = addresses.stable_id(address, 'user')
        self.project_id = addresses.stable_id(address, 'project')
        self.role_id = addresses.stable_id(address, 'role')
        self.identity_port = identity_port
        self.agent_port = agent_port
        self.identity_url = 'http://%s:%d' % (address, identity_port)
        self.agent_url = 'http://%s:%d' % (address, agent_port)
        self.settings = dict(defaults)
        self.state = UP
        self.keys = identity.KeyRing()
        self.rehome = rehome.Rehome()
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.audit_requests = {}
        self.connections = set()
        self.servers = []
        self.token_cache = {}  # encoded static parts of token bodies (identity_api)
        self._on_change = on_change
        self._settings_changed = None

    # requests

    def serve_identity(self, request):
        return self._serve(request, identity_api.route)

    def serve_agent(self, request):
        return self._serve(request, agent_api.route)

    def serve_shared(self, request):
        """One port for both APIs: the agent's paths are under ``/v1``, the identity API's are
        the rest (``/``, ``/v3``...)."""
        path = request.path
        agent = path == '/v1' or path.startswith('/v1/')
        return self._serve(request, agent_api.route if agent else identity_api.route)

    def _serve(self, request, route):
        counters = self.counters
        counters['requests'] += 1
        if request.path.rstrip('/') == '/v3/auth/tokens' and route is identity_api.route:
            if request.method == 'POST':
                counters['token_posts'] += 1
            elif request.method in ('GET', 'HEAD'):
                counters['token_validations'] += 1
        if self.settings['delay'] > 0:
            return self._delayed(request, route)
        return self._answer(request, route)

    async def _delayed(self, request, route):
        # Re-read the delay after every settings change so that clearing it releases hung requests.
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            remaining = start + self.settings['delay'] - loop.time()
            if remaining <= 0:
                break
            if self._settings_changed is None:
                self._settings_changed = loop.create_future()
            await asyncio.wait([self._settings_changed], timeout=remaining)
        return self._answer(request, route)

    def _answer(self, request, route):
        status = self.settings['status']
        if status is not None:
            response = http.error_response(status, 'fault injected by the simulator')
        else:
            try:
                response = route(self, request)
            except http.HttpError as e:
                response = http.error_response(e.status, e.message, e.headers)
        if response.status == 401:
            self.counters['unauthorized'] += 1
        return response

    # control

    def update(self, changes):
        """Apply validated setting ``changes`` (see settings.validate)."""
        self.settings.update(changes)
        if self._settings_changed is not None:
            self._settings_changed.set_result(None)
            self._settings_changed = None
        self.changed()

    def rotate_keys(self, keep=0):
        key_id = self.keys.rotate(keep)
        self.changed()
        return key_id

    def reset_counters(self):
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.audit_requests = {}

    def changed(self):
        if self._on_change is not None:
            self._on_change()

    def summary(self):
        """What the fleet listing shows: identity, state and settings."""
        return {'address': self.address, 'name': self.name, 'region_name': self.region_name,
                'state': self.state, 'identity_url': self.identity_url + '/v3',
                'agent_url': self.agent_url, 'rehome_state': self.rehome.state,
                **settings_mod.public(self.settings)}

    def detail(self):
        """The summary plus keys (ids only), rehome, counters and requested audits."""
        return dict(self.summary(), keys={'primary': self.keys.primary_id,
                                          'ids': [kid for kid, _ in self.keys.keys]},
                    rehome=self.rehome.view(), counters=dict(self.counters),
                    audit_requests=dict(self.audit_requests))

    # persistence

    def to_dict(self):
        return {'name': self.name, 'state': self.state, 'settings': dict(self.settings),
                'keys': self.keys.to_dict(), 'rehome': self.rehome.to_dict()}

    def load(self, data):
        """Restore what ``to_dict`` saved (raise ValueError/KeyError/TypeError if malformed)."""
        self.settings.update(settings_mod.validate(data.get('settings', {})))
        if data.get('state', UP) not in (UP, DOWN):
            raise ValueError('unknown state %r' % (data['state'],))
        self.state = data.get('state', UP)
        if 'keys' in data:
            self.keys = identity.KeyRing.from_dict(data['keys'])
        if 'rehome' in data:
            self.rehome.load(data['rehome'])
