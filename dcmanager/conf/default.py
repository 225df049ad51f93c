"""[DEFAULT] options of dcmanager itself."""

import os
import socket

from oslo_config import cfg
import oslo_messaging
from oslo_messaging import opts as messaging_opts

AUTH_STRATEGIES = (
    ('keystone', 'validate X-Auth-Token with keystonemiddleware (configure [keystone_authtoken])'),
    ('noauth', 'trust every request as the admin user; only on a loopback [api] bind_host; '
               'the default of dcmanager-all'),
)


def _default_state_path():
    base = os.environ.get('XDG_DATA_HOME') or os.path.join(os.path.expanduser('~'), '.local',
                                                           'share')
    return os.path.join(base, 'dcmanager')


opts = [
    cfg.StrOpt('auth_strategy', default='keystone', choices=AUTH_STRATEGIES,
               help='How API requests are authenticated.'),
    cfg.StrOpt('state_path', default=_default_state_path(),
               sample_default='~/.local/share/dcmanager',
               help='Directory where a site keeps its local state (the embedded SQLite database).'),
    cfg.StrOpt('secret_key_file', default='$state_path/secret.key',
               sample_default='$state_path/secret.key',
               help='The site key: encrypts secrets at rest (passwords, cached tokens). Created '
                    '(mode 0600) on first use if missing. Every host of a site needs the same '
                    'file.'),
    cfg.StrOpt('system_name', default='SystemController',
               help='Name of this site (its system): the system_leader_name of the peer groups it '
                    'leads, and what a peer site names it. Stored in the database at the first '
                    'start; changing it here renames the site at the next start.'),
    cfg.StrOpt('system_uuid', sample_default='<generated at the first start>',
               help='UUID of this site (its system): the system_leader_id of the peer groups it '
                    'leads, and the peer-uuid a peer site knows it by. Generated and stored in '
                    'the database at the first start unless set here; once stored, a different '
                    'value here stops the site from starting (a peer site knows it by that UUID).'),
    cfg.StrOpt('host', default=socket.gethostname(), sample_default='<hostname>',
               help='Name of this host: its RPC server name, and the identity of its manager '
                    '(heartbeat, owner of the operations it runs), so it must differ on every '
                    'host of a site.'),
]


# The embedded default: in-process RPC. Production sets rabbit://user:pass@host:5672/.
DEFAULT_TRANSPORT_URL = 'kombu+memory:////'


def register_opts(conf):
    conf.register_opts(opts)
    oslo_messaging.set_transport_defaults('dcmanager')
    for group, group_opts in messaging_opts.list_opts():
        if group is None:
            names = {o.name for o in group_opts}
            if 'transport_url' in names:
                conf.register_opts([o for o in group_opts if o.name == 'transport_url'])
    conf.set_default('transport_url', DEFAULT_TRANSPORT_URL)


def list_opts():
    return {'DEFAULT': opts}
