"""The fleet: building the subclouds, opening and closing their listeners, fleet-wide counters.

A subcloud that is "down" has no listening socket at all (connection refused) and loses its open
connections, exactly what a system controller sees when a subcloud reboots. Idle keep-alive
connections are closed after a while, and the longest idle one whenever the fleet's connections
would pass what the open-file limit leaves (``connection_limit``), so that thousands of subclouds
polled by clients that keep their connections do not exhaust it.
"""

import asyncio
import logging

from dcmanager.simulator import http, statefile
from dcmanager.simulator import subcloud as subcloud_mod

LOG = logging.getLogger(__name__)
SWEEP_SECONDS = 2.0


class ListenError(Exception):
    """A subcloud's address/port could not be bound."""


class Fleet:
    """The subclouds at ``addresses``, all serving ``identity_port`` and ``agent_port`` (one
    listener each when the two are the same port: half the open files of two)."""

    def __init__(self, addresses, identity_port, agent_port, defaults, state_path=None,
                 keepalive_timeout=15.0, connection_limit=None):
        self.identity_port = identity_port
        self.budget = (http.ConnectionBudget(connection_limit)
                       if connection_limit is not None else None)
        self.agent_port = agent_port
        self.keepalive_timeout = keepalive_timeout
        self.state = (statefile.StateFile(state_path, self.snapshot) if state_path else None)
        on_change = self.state.mark_dirty if self.state else None
        self.subclouds = [subcloud_mod.Subcloud(i, address, identity_port, agent_port, defaults,
                                                on_change)
                          for i, address in enumerate(addresses)]
        self._index = {}
        for sc in self.subclouds:
            self._index[sc.address] = sc
            self._index[sc.name] = sc
        self._sweeper = None

    def get(self, key):
        """The subcloud with this address or name, or None."""
        return self._index.get(key)

    def load_state(self):
        """Restore saved subclouds from the state file (raise StateFileError or ValueError)."""
        if self.state is None:
            return 0
        saved = self.state.load(sc.address for sc in self.subclouds)
        for address, data in saved.items():
            try:
                self._index[address].load(data)
            except (KeyError, TypeError, ValueError) as e:
                raise statefile.StateFileError('bad entry for %s in %s: %s'
                                               % (address, self.state.path, e)) from None
        return len(saved)

    def snapshot(self):
        return {sc.address: sc.to_dict() for sc in self.subclouds}

    async def start(self, stopping=None):
        """Open every "up" subcloud's listeners and resume interrupted rehomes."""
        for sc in self.subclouds:
            if stopping is not None and stopping.is_set():
                return
            if sc.state == subcloud_mod.UP:
                await self._open(sc)
            sc.rehome.resume(sc)
        self._sweeper = asyncio.ensure_future(self._sweep())

    async def stop(self):
        if self._sweeper is not None:
            self._sweeper.cancel()
        for sc in self.subclouds:
            sc.rehome.cancel()
            self._close(sc)
        if self.state is not None:
            await self.state.flush()

    async def down(self, sc):
        if sc.state != subcloud_mod.DOWN:
            self._close(sc)
            sc.state = subcloud_mod.DOWN
            sc.changed()
            LOG.info('%s (%s) is down', sc.name, sc.address)

    async def up(self, sc):
        if sc.state != subcloud_mod.UP:
            await self._open(sc)
            sc.state = subcloud_mod.UP
            sc.changed()
            LOG.info('%s (%s) is up', sc.name, sc.address)

    def totals(self):
        totals = dict.fromkeys(subcloud_mod.COUNTERS, 0)
        for sc in self.subclouds:
            for name, value in sc.counters.items():
                totals[name] += value
        return totals

    def reset_counters(self):
        for sc in self.subclouds:
            sc.reset_counters()

    @property
    def sockets_per_subcloud(self):
        return 1 if self.identity_port == self.agent_port else 2

    async def _open(self, sc):
        if self.identity_port == self.agent_port:
            listeners = ((self.identity_port, sc.serve_shared),)
        else:
            listeners = ((self.identity_port, sc.serve_identity),
                         (self.agent_port, sc.serve_agent))
        for port, handler in listeners:
            try:
                sc.servers.append(await http.serve(handler, sc.connections, sc.address, port,
                                                   budget=self.budget))
            except OSError as e:
                self._close(sc)
                raise ListenError('cannot listen on %s:%d for %s: %s'
                                  % (sc.address, port, sc.name, e.strerror or e)) from None

    def _close(self, sc):
        for server in sc.servers:
            server.close()
        sc.servers = []
        for conn in list(sc.connections):
            conn.close()

    async def _sweep(self):
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now = loop.time()
            for sc in self.subclouds:
                if sc.connections:
                    http.close_idle(sc.connections, now, self.keepalive_timeout)
