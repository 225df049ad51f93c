"""Which managers are alive: each running manager's heartbeat in the database.

A site may run several managers (one per host, on RabbitMQ and one database), each known by its
``[DEFAULT] host``. Every manager writes its heartbeat when it starts and then every
``[manager] heartbeat_interval`` seconds; one whose last heartbeat is older than
``[manager] service_down_time`` is dead, and the live ones recover the transitory operations it
owned (``recovery.recover_dead_owners``).
"""

from dcmanager.common import exception
from dcmanager.conf import CONF
from dcmanager.objects import service as service_obj

# The ``binary`` of the managers' heartbeats.
BINARY = 'dcmanager-manager'


def check_config(conf=CONF):
    """Refuse (DCManagerException) options under which a live manager would be taken for dead."""
    interval = conf.manager.heartbeat_interval
    down_time = conf.manager.service_down_time
    if down_time <= interval:
        raise exception.DCManagerException(
            '[manager] service_down_time (%d s) must be greater than [manager] '
            'heartbeat_interval (%d s): otherwise a live manager is taken for dead and its '
            'operations are failed; keep it several heartbeats long (the default is 60 s for '
            'a 10 s interval)' % (down_time, interval))


def beat(context, host):
    """Record that the manager of ``host`` is alive, now."""
    service_obj.heartbeat(context, host, BINARY)
