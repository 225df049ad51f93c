"""Feeds oslo-config-generator (entry point ``oslo.config.opts``)."""

import collections

from dcmanager.conf import api, audit, database, default, manager

_MODULES = (default, api, database, manager, audit)


def list_opts():
    """Every dcmanager option, grouped, for the sample configuration file."""
    grouped = collections.OrderedDict()
    for module in _MODULES:
        for group, opts in module.list_opts().items():
            grouped.setdefault(group, []).extend(opts)
    return list(grouped.items())


def set_defaults():
    """Apply dcmanager's defaults for library options (oslo.db, oslo.messaging) before generating."""
    from dcmanager import conf

    conf.CONF  # noqa: B018 - importing registers and sets the defaults
