"""The ``dcmanager`` command: a cliff application, its global options and ``main``.

The global options are the reference client's (osc-lib conventions: each ``--os-*`` option
defaults to its ``OS_*`` environment variable). The HTTP client is made when a command first
needs it, so ``help``, ``complete`` and ``--version`` need no endpoint. A failure is one line on
stderr, ``ERROR (app) <message>`` (the reference's format), with a traceback only under
``--debug``; usage errors exit 2, every other failure 1.
"""

import logging
import os
import sys

from cliff import app, commandmanager

from dcmanager import version
from dcmanager.cli import actions, commands, resources
from dcmanager.cli import client as client_mod
from dcmanager.cli import settings as settings_mod

DESCRIPTION = 'Manage a dcmanager site: subclouds, groups, system peers and peer groups.'
# Libraries that would otherwise print on stderr at cliff's default console level.
_QUIET_LOGGERS = ('keystoneauth', 'urllib3', 'requests', 'stevedore', 'iso8601')


def command_table():
    """{command name: class}: the generic commands of each resource, then the specific ones."""
    table = {}
    for resource in resources.GENERIC:
        table.update(commands.generic(resource))
    table.update(actions.COMMANDS)
    return table


class DCManagerApp(app.App):
    NAME = 'dcmanager'
    LOG = logging.getLogger('app')
    CONSOLE_MESSAGE_FORMAT = '%(levelname)s (%(name)s) %(message)s'

    def __init__(self, environ=None, **streams):
        self.environ = os.environ if environ is None else environ
        manager = commandmanager.CommandManager('dcmanager.cli.commands')
        for name, cls in sorted(command_table().items()):
            manager.add_command(name, cls)
        super().__init__(description=DESCRIPTION, version=version.version_string,
                         command_manager=manager, deferred_help=True, **streams)
        self._client = None

    def build_option_parser(self, description, version, argparse_kwargs=None):
        # prog: `python -m dcmanager.cli` is the same command (argv[0] would name it `cli`).
        argparse_kwargs = dict(argparse_kwargs or {}, prog=self.NAME)
        parser = super().build_option_parser(description, version, argparse_kwargs)
        for action in parser._actions:
            if '--version' in action.option_strings:  # cliff names it after argv[0]
                action.version = '%s %s' % (self.NAME, version)
        env = self.environ.get

        def opt(flag, var=None, **kwargs):
            kwargs.setdefault('default', env(var) if var else None)
            parser.add_argument(flag, **kwargs)

        opt('--dcmanager-url', 'DCMANAGER_URL', metavar='URL',
            help='dcmanager API URL (the site root or .../v1.0); without --os-auth-url no '
                 'Keystone is used (env DCMANAGER_URL).')
        opt('--os-auth-url', 'OS_AUTH_URL', metavar='URL', help='Keystone URL (env OS_AUTH_URL).')
        opt('--os-username', 'OS_USERNAME', metavar='NAME', help='User name (env OS_USERNAME).')
        opt('--os-password', 'OS_PASSWORD', metavar='PASSWORD',
            help='Password (env OS_PASSWORD).')
        opt('--os-project-name', 'OS_PROJECT_NAME', metavar='NAME',
            help='Project name (env OS_PROJECT_NAME).')
        opt('--os-project-id', 'OS_PROJECT_ID', metavar='ID',
            help='Project ID (env OS_PROJECT_ID).')
        opt('--os-user-domain-name', 'OS_USER_DOMAIN_NAME', metavar='NAME',
            help='User domain name (env OS_USER_DOMAIN_NAME; Default if no domain given).')
        opt('--os-user-domain-id', 'OS_USER_DOMAIN_ID', metavar='ID',
            help='User domain ID (env OS_USER_DOMAIN_ID).')
        opt('--os-project-domain-name', 'OS_PROJECT_DOMAIN_NAME', metavar='NAME',
            help='Project domain name (env OS_PROJECT_DOMAIN_NAME; Default if none given).')
        opt('--os-project-domain-id', 'OS_PROJECT_DOMAIN_ID', metavar='ID',
            help='Project domain ID (env OS_PROJECT_DOMAIN_ID).')
        opt('--os-auth-token', 'OS_AUTH_TOKEN', metavar='TOKEN',
            help='A token: sent as it is without --os-auth-url, else exchanged at Keystone '
                 '(env OS_AUTH_TOKEN).')
        opt('--os-region-name', 'OS_REGION_NAME', metavar='REGION',
            help='Region of the dcmanager endpoint in the catalog (env OS_REGION_NAME).')
        interface = env('OS_INTERFACE') or env('OS_ENDPOINT_TYPE')
        opt('--os-interface', default=interface, choices=settings_mod.INTERFACE_CHOICES,
            help='Catalog interface of the dcmanager endpoint (default internal; env '
                 'OS_INTERFACE).')
        opt('--os-endpoint-type', dest='os_interface', default=interface,
            choices=settings_mod.INTERFACE_CHOICES,
            help='Same as --os-interface (env OS_ENDPOINT_TYPE).')
        opt('--os-cloud', 'OS_CLOUD', metavar='NAME',
            help='Cloud of clouds.yaml to take the credentials from (env OS_CLOUD).')
        opt('--timeout', 'DCMANAGER_TIMEOUT', metavar='SECONDS',
            help='Seconds to wait for each connection and answer (default 60; env '
                 'DCMANAGER_TIMEOUT).')
        parser.add_argument('--insecure', action='store_true',
                            help='Do not verify the server\'s TLS certificate.')
        opt('--os-cacert', 'OS_CACERT', metavar='FILE',
            help='CA bundle to verify TLS certificates with (env OS_CACERT).')
        return parser

    def configure_logging(self):
        super().configure_logging()
        level = logging.DEBUG if self.options.debug else logging.WARNING
        for name in _QUIET_LOGGERS:
            logging.getLogger(name).setLevel(level)

    @property
    def client(self):
        """The HTTP client, made from the global options on first use."""
        if self._client is None:
            self._client = client_mod.Client(settings_mod.from_options(self.options,
                                                                       self.environ))
        return self._client


def main(argv=None):
    return DCManagerApp().run(sys.argv[1:] if argv is None else argv)


if __name__ == '__main__':
    sys.exit(main())
