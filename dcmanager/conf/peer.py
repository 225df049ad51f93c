"""[peer] options: how this site recognises, and talks to, its peer site (system controller)."""

from oslo_config import cfg

GROUP = cfg.OptGroup('peer', title='The peer site (geo-redundancy)')

DEFAULT_ROLE = 'dcmanager-peer'

opts = [
    cfg.StrOpt('role', default=DEFAULT_ROLE, regex=r'^[A-Za-z0-9_.-]{1,255}$',
               help='Keystone role that makes a request one of the peer site\'s: the peer '
                    'site\'s service user holds it in this site\'s Keystone (in the admin or '
                    'services project). Only this role may write the copies this site keeps '
                    'for its peer: secondary subclouds, non-primary subcloud peer groups and '
                    'their associations, and the management state of a peer group\'s members. '
                    'No header (such as a User-Agent) ever counts. The policy rule '
                    '"peer" is built from it (a policy file may still override that rule).'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
