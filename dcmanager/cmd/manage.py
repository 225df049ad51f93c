"""dcmanager-manage: database schema commands (db_sync, db_version)."""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from dcmanager.cmd import common
from dcmanager.conf import CONF
from dcmanager.db import migration


def do_db_sync():
    migration.upgrade(CONF.command.version or 'head')
    print('database at revision %s' % migration.version())  # noqa: T201


def do_db_version():
    print(migration.version() or 'none')  # noqa: T201


def add_command_parsers(subparsers):
    parser = subparsers.add_parser('db_sync', help='Create or upgrade the database schema.')
    parser.add_argument('version', nargs='?', help='Target revision (default: head).')
    parser.set_defaults(func=do_db_sync)
    parser = subparsers.add_parser('db_version', help='Print the schema revision.')
    parser.set_defaults(func=do_db_version)


command_opt = cfg.SubCommandOpt('command', title='Commands', handler=add_command_parsers,
                                help='Available commands')


def main():
    CONF.register_cli_opt(command_opt)
    # stdout is the command's answer (db_version prints the revision for scripts); the log, unless
    # configured otherwise, goes to stderr.
    logging.register_options(CONF)
    CONF.set_default('use_stderr', True)
    common.prepare()
    CONF.command.func()
    return 0


if __name__ == '__main__':
    sys.exit(main())
