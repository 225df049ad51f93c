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
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
