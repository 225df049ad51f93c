"""The control API on 127.0.0.1: inspect the fleet, inject faults, read and reset counters.

JSON in and out, errors as ``{"error": {"code", "message", "title"}}``. A subcloud is named in the
URL by its address (or by its name, ``subcloud<N>``). Documented in the project's ``README.md``,
section "Subcloud simulator", "Control API".
"""

import asyncio
import logging

from dcmanager.simulator import fleet as fleet_mod
from dcmanager.simulator import http, settings

LOG = logging.getLogger(__name__)
ACTIONS = ('down', 'up', 'rotate-keys', 'reset-counters')


class Control:
    """Request handler of the control API over ``fleet``."""

    def __init__(self, fleet):
        self.fleet = fleet

    def __call__(self, request):
        parts = [p for p in request.path.split('/') if p]
        method = request.method
        if parts[:1] != ['v1']:
            if not parts and method == 'GET':
                return http.json_response(200, {'subclouds': len(self.fleet.subclouds),
                                                'api': '/v1'})
            raise http.HttpError(404, 'no such resource: %s' % request.path)
        parts = parts[1:]
        if parts == ['subclouds']:
            _allow(method, 'GET')
            return http.json_response(200, {'subclouds': [sc.summary()
                                                          for sc in self.fleet.subclouds]})
        if parts == ['counters']:
            _allow(method, 'GET')
            return http.json_response(200, {'counters': self.fleet.totals(),
                                            'subclouds': len(self.fleet.subclouds)})
        if parts == ['reset-counters']:
            _allow(method, 'POST')
            self.fleet.reset_counters()
            return http.json_response(200, {'counters': self.fleet.totals()})
        if len(parts) in (2, 3) and parts[0] == 'subclouds':
            sc = self.fleet.get(parts[1])
            if sc is None:
                raise http.HttpError(404, 'no subcloud %s' % parts[1])
            if len(parts) == 2:
                return self._subcloud(sc, request)
            if parts[2] in ACTIONS:
                _allow(method, 'POST')
                return self._action(sc, parts[2], request)
        raise http.HttpError(404, 'no such resource: %s' % request.path)

    def _subcloud(self, sc, request):
        if request.method == 'GET':
            return http.json_response(200, sc.detail())
        _allow(request.method, 'PATCH')
        try:
            changes = settings.validate(request.json())
        except ValueError as e:
            raise http.HttpError(400, str(e)) from None
        sc.update(changes)
        LOG.info('%s (%s): %s', sc.name, sc.address, ', '.join(
            '%s=%s' % (k, '<set>' if k == 'admin_password' else v) for k, v in changes.items()))
        return http.json_response(200, sc.detail())

    def _action(self, sc, action, request):
        if action == 'down':
            return self._after(self.fleet.down(sc), sc)
        if action == 'up':
            return self._after(self.fleet.up(sc), sc)
        if action == 'reset-counters':
            sc.reset_counters()
            return http.json_response(200, sc.detail())
        body = request.json(required=False) or {}
        keep = body.get('keep', 0) if isinstance(body, dict) else None
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
            raise http.HttpError(400, '"keep" must be a non-negative integer')
        key_id = sc.rotate_keys(keep)
        LOG.info('%s (%s): keys rotated, primary key %d, keeping %d old key(s)',
                 sc.name, sc.address, key_id, len(sc.keys.keys) - 1)
        return http.json_response(200, sc.detail())

    async def _after(self, change, sc):
        try:
            await asyncio.shield(change)  # a client hanging up must not leave it half done
        except fleet_mod.ListenError as e:
            raise http.HttpError(500, str(e)) from None
        return http.json_response(200, sc.detail())


def _allow(method, allowed):
    if method != allowed:
        raise http.HttpError(405, 'method %s not allowed here (use %s)' % (method, allowed))
