"""Running the simulator: limits, state, listeners, the READY line, and a clean stop on a signal.

``run`` returns the process exit status: 0 after SIGTERM/SIGINT (state file written, every socket
closed), 1 when the fleet cannot start (bad address range, open-file limit, a port in use, a broken
state file) with a one-line reason on stderr. Nothing else is ever written to stdout than the READY
line, so a parent can read it through a pipe without having to drain anything afterwards.
"""

import asyncio
import logging
import signal
import sys
import time

from dcmanager.common import signals
from dcmanager.simulator import addresses, http, limits, settings, siteconf, statefile
from dcmanager.simulator import control as control_mod
from dcmanager.simulator import fleet as fleet_mod

LOG = logging.getLogger(__name__)
CONTROL_HOST = '127.0.0.1'


class Options:
    """The command line, as ``dcmanager.cmd.subcloud_sim`` parses it."""

    def __init__(self, count, first_address='127.0.1.1', control_port=8390, state_file=None,
                 token_lifetime=3600.0, rehome_seconds=2.0, admin_password='password',
                 identity_port=5001, agent_port=8326, keepalive_timeout=15.0,
                 site_config=None):
        self.count = count
        self.first_address = first_address
        self.control_port = control_port
        self.state_file = state_file
        self.token_lifetime = token_lifetime
        self.rehome_seconds = rehome_seconds
        self.admin_password = admin_password
        self.identity_port = identity_port
        self.agent_port = agent_port
        self.keepalive_timeout = keepalive_timeout
        self.site_config = site_config


class StartError(Exception):
    """The fleet cannot start; the message says why."""


def build(options):
    """Validate the options and build the (not yet listening) fleet."""
    for name in ('identity_port', 'agent_port', 'control_port'):
        port = getattr(options, name)
        if not (0 if name == 'control_port' else 1) <= port <= 65535:
            raise StartError('--%s %d is not a valid port' % (name.replace('_', '-'), port))
    if options.control_port in (options.identity_port, options.agent_port):
        raise StartError('--control-port must differ from the subcloud ports')
    try:
        fleet_addresses = addresses.fleet(options.first_address, options.count)
        defaults = settings.defaults(options.token_lifetime, options.rehome_seconds,
                                     options.admin_password)
        sockets = 1 if options.identity_port == options.agent_port else 2
        soft = limits.raise_nofile(options.count, sockets)
    except (addresses.AddressError, limits.LimitError, ValueError) as e:
        raise StartError(str(e)) from None
    fleet = fleet_mod.Fleet(fleet_addresses, options.identity_port, options.agent_port, defaults,
                            options.state_file, options.keepalive_timeout,
                            limits.connection_limit(soft, options.count, sockets))
    try:
        restored = fleet.load_state()
    except statefile.StateFileError as e:
        raise StartError(str(e)) from None
    if restored:
        LOG.info('restored %d subcloud(s) from %s', restored, options.state_file)
    return fleet


async def serve(options):
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    if signals.stop_requested():  # the console script's handler caught one before this loop
        stopping.set()
    started = time.monotonic()
    fleet = build(options)
    control_connections = set()
    control = None
    try:
        try:
            await fleet.start(stopping)
            control = await http.serve(control_mod.Control(fleet), control_connections,
                                       CONTROL_HOST, options.control_port)
        except OSError as e:
            raise StartError('cannot listen on %s:%d for the control API: %s'
                             % (CONTROL_HOST, options.control_port, e.strerror or e)) from None
        except fleet_mod.ListenError as e:
            raise StartError(str(e)) from None
        if not stopping.is_set():
            if options.site_config:
                _write_site_config(options)
            port = control.sockets[0].getsockname()[1]
            sys.stdout.write('READY %d subclouds control=http://%s:%d\n'
                             % (options.count, CONTROL_HOST, port))
            sys.stdout.flush()
            LOG.info('%d subclouds from %s up in %.2f s', options.count,
                     fleet.subclouds[0].address, time.monotonic() - started)
            await stopping.wait()
        LOG.info('stopping')
    finally:
        if control is not None:
            control.close()
        for conn in list(control_connections):
            conn.close()
        await fleet.stop()


def _write_site_config(options):
    try:
        siteconf.write(options.site_config, options.identity_port, options.agent_port)
    except OSError as e:
        raise StartError('cannot write the site configuration %s: %s'
                         % (options.site_config, e.strerror or e)) from None


def run(options):
    """Run until SIGTERM/SIGINT; return the exit status."""
    try:
        asyncio.run(serve(options))
    except StartError as e:
        sys.stderr.write('dcmanager-subcloud-sim: error: %s\n' % e)
        return 1
    return 0
