"""[database] options: oslo.db's, with dcmanager's defaults, plus schema handling."""

from oslo_config import cfg
from oslo_db import options as db_options

GROUP = 'database'
_DEFAULT_CONNECTION = 'sqlite:///$state_path/dcmanager.sqlite'

# Connections a process keeps (max_pool_size) and opens beyond them under load (max_overflow);
# past that, a thread waits for one (SQLAlchemy's 30 s at most). oslo.db's 5 + 50 per process
# would let the audit's worker threads of a few processes exhaust a default PostgreSQL
# (max_connections = 100: "too many clients"): 5 + 5 per process keeps a whole site (API
# workers, manager, audit scheduler and workers) within it. The audit needs few: it reads and
# writes a batch at a time and keeps only the token cache's short transactions per subcloud.
# (SQLite files are not concerned: no server, no limit.)
_DEFAULT_MAX_POOL_SIZE = 5
_DEFAULT_MAX_OVERFLOW = 5

opts = [
    cfg.BoolOpt('auto_upgrade', default=True,
                help='Create or upgrade the database schema when a service starts, so that a '
                     'first run needs no separate db_sync.'),
]


def register_opts(conf):
    db_options.set_defaults(conf, connection=_DEFAULT_CONNECTION,
                            max_pool_size=_DEFAULT_MAX_POOL_SIZE,
                            max_overflow=_DEFAULT_MAX_OVERFLOW)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
