"""[audit] options: the subcloud audit service."""

from oslo_config import cfg

GROUP = cfg.OptGroup('audit', title='Subcloud audit options')

opts = [
    cfg.IntOpt('interval', default=30, min=1,
               help='Seconds between two audit cycles of a subcloud.'),
    cfg.StrOpt('topic', default='dcmanager-audit',
               help='RPC topic the audit service listens on.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
