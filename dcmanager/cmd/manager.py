"""dcmanager-manager: the manager service (RPC server of subcloud and peer-group operations)."""

import signal
import sys
import threading

from oslo_log import log as logging

from dcmanager.cmd import common
from dcmanager.conf import CONF
from dcmanager.db import migration
from dcmanager.manager import liveness, service

LOG = logging.getLogger(__name__)


def main():
    common.prepare()
    with common.startup_checks():
        liveness.check_config()
    if CONF.database.auto_upgrade:
        migration.upgrade()
    manager = service.ManagerService()
    manager.start()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    stopping.wait()
    manager.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
