"""dcmanager-audit: the subcloud audit service."""

import signal
import sys
import threading

from dcmanager.audit import service
from dcmanager.cmd import common


def main():
    common.prepare()
    audit = service.AuditService()
    audit.start()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    stopping.wait()
    audit.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
