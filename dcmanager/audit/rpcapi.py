"""Client side of the audit workers' RPC API (topic ``[audit] worker_topic``).

API version history:

    1.0 - Initial version: audit_subclouds(subcloud_ids, owner).
"""

from dcmanager.common import rpc
from dcmanager.conf import CONF
from dcmanager.objects import base as objects_base

# A cast that cannot reach the broker is given up after this many retries (oslo.messaging retries
# forever by default): the scheduler releases the batch and tries again at its next scan.
CAST_RETRIES = 2


class AuditWorkerAPI:
    """What the audit scheduler asks of the workers; any worker on the topic takes a message."""

    RPC_API_VERSION = '1.0'

    def __init__(self, topic=None):
        self._client = rpc.get_client(topic or CONF.audit.worker_topic, self.RPC_API_VERSION,
                                      objects_base.DCManagerObjectSerializer())

    def audit_subclouds(self, context, subcloud_ids, owner):
        """Audit the subclouds with ``subcloud_ids``, claimed under the token ``owner`` (cast).

        The worker audits those it can take at once and releases the claim on the others; it
        writes the results itself (``objects.subcloud_audit.finish``), only while ``owner`` still
        holds each claim. Ids and a token only: no row, no secret, travels.
        """
        self._client.prepare(version='1.0', retry=CAST_RETRIES).cast(
            context, 'audit_subclouds', subcloud_ids=list(subcloud_ids), owner=owner)
