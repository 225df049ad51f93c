"""Service heartbeats: how the managers of a site know which of them are alive.

Each running manager writes its heartbeat (``heartbeat``) every ``[manager] heartbeat_interval``
seconds; one whose last heartbeat is older than ``[manager] service_down_time`` is dead, and the
transitory operations it owned are recovered (``Subcloud.recover_transitory``). Not a versioned
object: heartbeats never travel over RPC.
"""

from dcmanager.db import api as db_api


def heartbeat(context, host, binary, now=None):
    """Record that ``binary`` runs on ``host``, now by the database's clock (or at ``now``,
    naive UTC)."""
    db_api.service_heartbeat(context, host, binary, now=now)


def list_services(context, binary=None):
    """(host, binary, created_at, updated_at) rows of the services (only ``binary``'s, if
    given), ordered by host; ``updated_at`` is the last heartbeat (naive UTC)."""
    return db_api.service_get_all(context, binary=binary)
