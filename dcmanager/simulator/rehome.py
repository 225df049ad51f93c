"""The rehome state machine of a simulated subcloud: idle → rehoming → rehomed | failed.

A rehome request re-points the subcloud at a new system controller. Like the real playbook it takes
time (the subcloud's ``rehome_seconds``) and only then says whether it worked: a request whose
``bootstrap_address`` is missing or is not the subcloud's own address is accepted (200, "rehoming")
and fails after the delay, which is what "migration fails with a wrong bootstrap address" looks like
from the system controller. A subcloud found "rehoming" in the state file resumes with a full delay.
"""

import asyncio

IDLE = 'idle'
REHOMING = 'rehoming'
REHOMED = 'rehomed'
FAILED = 'failed'


class Conflict(Exception):
    """A rehome is already in progress."""


def parse_request(body):
    """Validate a rehome request body; return the part worth keeping. Raise ValueError."""
    if not isinstance(body, dict):
        raise ValueError('expected a JSON object')
    controller = body.get('system_controller')
    if not isinstance(controller, dict) or not isinstance(controller.get('address'), str):
        raise ValueError('system_controller must be an object with an "address"')
    bootstrap = body.get('bootstrap_address')
    if bootstrap is not None and not isinstance(bootstrap, str):
        raise ValueError('bootstrap_address must be a string')
    return {'bootstrap_address': bootstrap, 'system_controller': controller}


class Rehome:
    """Where the subcloud is in its last rehome, and the system controller it points at."""

    def __init__(self):
        self.state = IDLE
        self.system_controller = None
        self.reason = None
        self.pending = None
        self._timer = None

    def start(self, subcloud, request):
        """Accept a parsed request (see parse_request) and finish it after the delay."""
        if self.state == REHOMING:
            raise Conflict('a rehome is already in progress')
        self.state = REHOMING
        self.reason = None
        self.pending = request
        self._schedule(subcloud)

    def resume(self, subcloud):
        """After a restart: finish an interrupted rehome (with a full delay)."""
        if self.state == REHOMING and self._timer is None:
            self._schedule(subcloud)

    def cancel(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def view(self):
        return {'state': self.state, 'system_controller': self.system_controller,
                'reason': self.reason}

    def to_dict(self):
        return dict(self.view(), pending=self.pending)

    def load(self, data):
        if data.get('state') not in (IDLE, REHOMING, REHOMED, FAILED):
            raise ValueError('unknown rehome state %r' % (data.get('state'),))
        self.state = data['state']
        self.system_controller = data.get('system_controller')
        self.reason = data.get('reason')
        self.pending = data.get('pending')
        if self.state == REHOMING and not self.pending:
            self.state, self.reason = FAILED, 'interrupted rehome with no request on record'

    def _schedule(self, subcloud):
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(subcloud.settings['rehome_seconds'], self._finish, subcloud)

    def _finish(self, subcloud):
        self._timer = None
        request, self.pending = self.pending, None
        bootstrap = request.get('bootstrap_address')
        if bootstrap == subcloud.address:
            self.state = REHOMED
            self.system_controller = request['system_controller']
            self.reason = None
        else:
            self.state = FAILED
            self.reason = ('bootstrap address %s is not the address of this subcloud (%s)'
                           % (bootstrap, subcloud.address) if bootstrap is not None
                           else 'no bootstrap_address in the rehome request')
        subcloud.changed()
