"""dcmanager-subcloud-sim: serve a fleet of simulated subclouds on loopback addresses.

Subcloud i listens on the i-th address from ``--first-address`` (skipping .0 and .255), with its
identity API on ``--identity-port`` and its audit agent on ``--agent-port`` (the same port for both
is one listening socket per subcloud instead of two); the control API is on
127.0.0.1:``--control-port``. See the "Subcloud simulator" section of the project's
``README.md``.
"""

import argparse
import logging
import sys

from dcmanager.common import signals
from dcmanager.simulator import service


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='dcmanager-subcloud-sim', description=__doc__.split('\n\n')[0])
    parser.add_argument('--count', type=int, required=True, help='number of subclouds')
    parser.add_argument('--first-address', default='127.0.1.1',
                        help='address of the first subcloud, in 127.0.0.0/8 (default %(default)s)')
    parser.add_argument('--control-port', type=int, default=8390,
                        help='control API port on 127.0.0.1; 0 picks a free one '
                             '(default %(default)s)')
    parser.add_argument('--state-file', help='JSON file keeping settings, keys and rehome state '
                                             'across restarts')
    parser.add_argument('--token-lifetime', type=float, default=3600.0,
                        help='token lifetime in seconds (default %(default)s)')
    parser.add_argument('--rehome-seconds', type=float, default=2.0,
                        help='how long a rehome takes (default %(default)s)')
    parser.add_argument('--admin-password', default='password',
                        help='password of every subcloud\'s admin user (default %(default)s)')
    parser.add_argument('--identity-port', type=int, default=5001,
                        help='identity (Keystone v3) port (default %(default)s)')
    parser.add_argument('--agent-port', type=int, default=8326,
                        help='audit agent port (default %(default)s); the identity port here '
                             'too serves both on one listener per subcloud (half the open files)')
    parser.add_argument('--keepalive-timeout', type=float, default=15.0,
                        help='close idle client connections after this many seconds '
                             '(default %(default)s)')
    parser.add_argument('--site-config',
                        help='write here, before the READY line, the [subcloud] section a '
                             'dcmanager site needs to reach this fleet (scheme http, the ports)')
    parser.add_argument('--log-level', default='INFO',
                        choices=('DEBUG', 'INFO', 'WARNING', 'ERROR'),
                        help='log level on stderr (default %(default)s)')
    return parser.parse_args(argv)


def main(argv=None):
    signals.install()  # until the simulator's loop takes the signals over
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    return service.run(service.Options(
        count=args.count, first_address=args.first_address, control_port=args.control_port,
        state_file=args.state_file, token_lifetime=args.token_lifetime,
        rehome_seconds=args.rehome_seconds, admin_password=args.admin_password,
        identity_port=args.identity_port, agent_port=args.agent_port,
        keepalive_timeout=args.keepalive_timeout, site_config=args.site_config))


if __name__ == '__main__':
    sys.exit(main())
