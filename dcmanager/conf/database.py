"""[database] options: oslo.db's, with dcmanager's defaults, plus schema handling."""

from oslo_config import cfg
from oslo_db import options as db_options

GROUP = 'database'
_DEFAULT_CONNECTION = 'sqlite:///$state_path/dcmanager.sqlite'

opts = [
    cfg.BoolOpt('auto_upgrade', default=True,
                help='Create or upgrade the database schema when a service starts, so that a '
                     'first run needs no separate db_sync.'),
]


def register_opts(conf):
    db_options.set_defaults(conf, connection=_DEFAULT_CONNECTION)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
