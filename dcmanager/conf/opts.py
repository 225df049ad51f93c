"""Feeds oslo-config-generator (entry points oslo.config.opts and oslo.config.opts.defaults)."""

import collections

from oslo_config import cfg
from oslo_db import options as db_options
from oslo_messaging import transport as messaging_transport

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

_MODULES = (default, api, database, manager, audit, identity, subcloud, peer)


def list_opts():
    """Every dcmanager option, grouped, for the sample configuration file."""
    grouped = collections.OrderedDict()
    for module in _MODULES:
        for group, opts in module.list_opts().items():
            grouped.setdefault(group, []).extend(opts)
    return list(grouped.items())


def set_defaults():
    """Show dcmanager's defaults for library options (oslo.db, oslo.messaging,
    keystonemiddleware) in the sample.

    At run time ``dcmanager.conf`` sets them with ``CONF.set_default``, which the generator never
    sees: it prints the library's own option objects. So change those objects' defaults, the way
    ``oslo_messaging.set_transport_defaults`` does for ``control_exchange`` (oslo.messaging has no
    public hook for ``transport_url``; its ``list_opts`` copies ``transport._transport_opts``).
    Only the generator calls this.
    """
    cfg.set_defaults(db_options.database_opts, connection=database._DEFAULT_CONNECTION,
                     max_pool_size=database._DEFAULT_MAX_POOL_SIZE,
                     max_overflow=database._DEFAULT_MAX_OVERFLOW)
    cfg.set_defaults(messaging_transport._transport_opts,
                     transport_url=default.DEFAULT_TRANSPORT_URL)
    authtoken.set_sample_defaults()
