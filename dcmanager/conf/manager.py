"""[manager] options: the manager service and the RPC layer it serves."""

from oslo_config import cfg

GROUP = cfg.OptGroup('manager', title='Manager service options')

opts = [
    cfg.StrOpt('topic', default='dcmanager-manager',
               help='RPC topic the manager listens on.'),
    cfg.IntOpt('rpc_timeout', default=60, min=1,
               help='Seconds an RPC call waits for the manager to answer.'),
    cfg.IntOpt('workers', default=1, min=1,
               help='Number of manager processes (dcmanager-manager only).'),
    cfg.IntOpt('heartbeat_interval', default=10, min=1,
               help='Seconds between two heartbeats of a manager in the database (the '
                    '``services`` table). At each heartbeat the manager also recovers the '
                    'transitory operations of managers found dead (see service_down_time).'),
    cfg.IntOpt('service_down_time', default=60, min=1,
               help='Seconds without a heartbeat after which a manager is considered dead: the '
                    'live managers then move the subclouds left in a transitory deploy status by '
                    'its operations to their failure status. Must be greater than '
                    'heartbeat_interval (a manager refuses to start otherwise), and the same on '
                    'every host of a site. Each manager is known by its [DEFAULT] host, which '
                    'must therefore be different on every host that runs one.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
