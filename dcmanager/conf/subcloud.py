"""[subcloud] options: how the site reaches a subcloud's services."""

from oslo_config import cfg

GROUP = cfg.OptGroup('subcloud', title='How subclouds are reached')

opts = [
    cfg.StrOpt('scheme', default='https', choices=('https', 'http'),
               help='Scheme of the subclouds\' identity API and audit agent (StarlingX: https; '
                    'the simulator: http).'),
    cfg.PortOpt('identity_port', default=5001, help='Port of a subcloud\'s identity API (/v3).'),
    cfg.PortOpt('agent_port', default=8326, help='Port of a subcloud\'s audit agent.'),
    cfg.FloatOpt('connect_timeout', default=5.0, min=0.1,
                 help='Seconds to open a connection to a subcloud\'s identity API or audit '
                      'agent, the TLS handshake included (so an https URL whose port never '
                      'completes a handshake fails after this long). Never retried.'),
    cfg.FloatOpt('read_timeout', default=10.0, min=0.1,
                 help='Seconds to wait for a subcloud\'s answer (each read of it). A request '
                      'whose answer timed out is never retried. One audit of a subcloud (its '
                      'token request, when one is needed, and the audit agent\'s answer) takes '
                      'at most connect_timeout + read_timeout in all, and never longer than '
                      '[audit] interval, so a subcloud that hangs is offline within two '
                      'intervals plus one audit.'),
    cfg.FloatOpt('rehome_timeout', default=600.0, min=1.0,
                 help='Seconds a migration waits at most for one subcloud\'s rehome to end '
                      '(from its start, every poll included); a rehome still running then is '
                      'a failed one. Raise it if your subclouds\' rehomes take longer.'),
    cfg.FloatOpt('rehome_poll_interval', default=1.0, min=0.05,
                 help='Seconds between two reads of a subcloud\'s rehome state while a '
                      'migration waits for its rehome to end. Each read takes at most '
                      'connect_timeout + read_timeout.'),
    cfg.StrOpt('ca_file',
               help='CA bundle that signs the subclouds\' certificates (https). Unset: the '
                    'system\'s trusted CAs.'),
    cfg.StrOpt('admin_username', default='admin',
               help='User the site authenticates as on a subcloud.'),
    cfg.StrOpt('admin_project', default='admin', help='Project of that user\'s token.'),
    cfg.StrOpt('admin_domain', default='Default',
               help='Domain (name) of that user and project.'),
    cfg.IntOpt('enroll_workers', default=16, min=1,
               help='Enrollments of added subclouds a manager runs at the same time.'),
    cfg.IntOpt('enroll_max_pending', default=1000, min=1,
               help='Enrollments a manager accepts at most (running and waiting). An add beyond '
                    'this is refused with 503 before anything is created.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
