"""The console scripts' entry points: stop signals are caught before a service is imported.

Importing a service takes about a second (oslo.messaging, SQLAlchemy, pecan, keystonemiddleware);
a SIGTERM in that time would end the process by the signal's default action, and a SIGINT with a
``KeyboardInterrupt`` traceback. Here the handler of ``dcmanager.common.signals`` comes first:
a stop asked during start-up is kept, and the service stops cleanly once started.
"""

import importlib

from dcmanager.common import signals


def _main(module):
    signals.install()
    return importlib.import_module(module).main()


def site():
    """dcmanager-all"""
    return _main('dcmanager.cmd.all')


def api():
    """dcmanager-api"""
    return _main('dcmanager.cmd.api')


def manager():
    """dcmanager-manager"""
    return _main('dcmanager.cmd.manager')


def audit():
    """dcmanager-audit"""
    return _main('dcmanager.cmd.audit')


def subcloud_sim():
    """dcmanager-subcloud-sim"""
    return _main('dcmanager.cmd.subcloud_sim')
