"""The audit service: schedules the availability and alarm audit of managed subclouds.

The scheduler and its worker pool arrive with the subcloud audit; until then the service starts,
reports itself and stops cleanly, so that every deployment already runs the process.
"""

from oslo_log import log as logging

from dcmanager.conf import CONF

LOG = logging.getLogger(__name__)


class AuditService:

    def start(self):
        LOG.info('Audit service started (interval %s s)', CONF.audit.interval)

    def stop(self):
        LOG.info('Audit service stopped')
