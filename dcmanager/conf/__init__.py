"""dcmanager configuration: one module per option group.

``CONF`` is oslo.config's global object (the OpenStack convention; oslo.messaging reads some of its
own groups only from it). Importing this package registers every dcmanager option on it.
"""

from oslo_config import cfg

from dcmanager.conf import (
    api,
    audit,
    authtoken,
    database,
    default,
    identity,
    manager,
    peer,
    subcloud,
)

CONF = cfg.CONF

default.register_opts(CONF)
api.register_opts(CONF)
database.register_opts(CONF)
manager.register_opts(CONF)
audit.register_opts(CONF)
identity.register_opts(CONF)
subcloud.register_opts(CONF)
peer.register_opts(CONF)
authtoken.register_opts(CONF)
