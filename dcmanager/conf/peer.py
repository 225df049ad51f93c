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
    cfg.StrOpt('project_name', default='services',
               help='Project of the peer site\'s Keystone that this site\'s user there (a '
                    'system peer\'s manager-username, holding the peer role) authenticates in.'),
    cfg.StrOpt('user_domain_name', default='Default',
               help='Domain of that user in the peer site\'s Keystone.'),
    cfg.StrOpt('project_domain_name', default='Default',
               help='Domain of project_name in the peer site\'s Keystone.'),
    cfg.StrOpt('endpoint_interface', default='public', choices=('public', 'internal', 'admin'),
               help='Which endpoint of the "dcmanager" service in the peer site\'s Keystone '
                    'catalog this site calls.'),
    cfg.StrOpt('endpoint_region', default=None,
               help='Region of that endpoint (any region when unset; StarlingX registers it in '
                    'SystemController).'),
    cfg.FloatOpt('connect_timeout', default=3.0, min=0.1,
                 help='Seconds a call to the peer site (its Keystone or its API) waits to '
                      'connect.'),
    cfg.FloatOpt('read_timeout', default=5.0, min=0.1,
                 help='Seconds a call to the peer site waits for each read of its answer. A '
                      'whole call (a token request, when one is needed, and the API\'s answer) '
                      'takes at most connect_timeout + read_timeout, and never longer than the '
                      'peer\'s heartbeat interval less one second.'),
    cfg.IntOpt('sync_workers', default=4, min=1,
               help='Peer group association syncs a manager runs at once.'),
    cfg.IntOpt('sync_max_pending', default=1000, min=1,
               help='Association syncs a manager accepts and has not finished at most; a sync '
                    'asked for beyond that fails at once (sync it again later).'),
    cfg.IntOpt('sync_pool_size', default=10, min=1, max=100,
               help='Subclouds one sync pushes to the peer site in parallel.'),
    cfg.IntOpt('monitor_workers', default=16, min=1,
               help='Heartbeats of peer sites a manager runs at once.'),
    cfg.FloatOpt('monitor_tick', default=1.0, min=0.1,
                 help='Seconds between two looks of a manager for the heartbeats that are due '
                      '(a heartbeat is late by at most this much).'),
    cfg.IntOpt('audit_interval', default=60, min=5,
               help='Seconds between two audits of the peer sites by a manager: a primary '
                    'association left out-of-sync is synced again, and the copies a forced '
                    'delete left on an available peer site are removed there. A peer that '
                    'answers again is audited at once. While a peer does not answer, the '
                    'members of the groups this site leads with it are asked at each audit '
                    'where they point, and those rehomed elsewhere are released; so a '
                    'migration whose fence did not reach its source manages the subclouds it '
                    'rehomed only after two of these intervals. Give both sites the same '
                    'value.'),
    cfg.IntOpt('migration_online_timeout', default=300, min=1,
               help='Seconds a migration waits, after the rehomes, for the rehomed subclouds '
                    'to come online before managing them; one still offline then stays '
                    'unmanaged (manage it once it is online).'),
    cfg.StrOpt('ca_file',
               help='CA bundle that verifies the peer site\'s https certificates (the system '
                    'CAs when unset).'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
