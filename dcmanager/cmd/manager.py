"""dcmanager-manager: the manager service (RPC server of subcloud and peer-group operations)."""

import sys

from oslo_log import log as logging

from dcmanager.cmd import common
from dcmanager.common import signals
from dcmanager.conf import CONF
from dcmanager.db import migration
from dcmanager.manager import liveness, service

LOG = logging.getLogger(__name__)


def main():
    stop = signals.install()
    common.prepare()
    with common.startup_checks():
        liveness.check_config()
    if CONF.database.auto_upgrade:
        migration.upgrade()
    if stop.requested:  # asked to stop while starting: nothing runs yet
        return 0
    manager = service.ManagerService()
    manager.start()
    try:
        stop.wait()
    finally:
        manager.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
