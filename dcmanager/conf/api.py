"""[api] options: the REST API server."""

from oslo_config import cfg

GROUP = cfg.OptGroup('api', title='REST API server options')

opts = [
    cfg.HostAddressOpt('bind_host', default='127.0.0.1',
                       help='Address the API listens on.'),
    cfg.PortOpt('bind_port', default=8119, help='Port the API listens on.'),
    cfg.IntOpt('workers', default=1, min=1,
               help='Number of API worker processes (dcmanager-api only; dcmanager-all runs one).'),
    cfg.IntOpt('threads', default=8, min=1,
               help='Request threads in each API worker. With auth_strategy = keystone, at '
                    'most threads - 1 of them wait for Keystone at once (beyond that a request '
                    'that needs Keystone is answered 503 at once), so that a hung Keystone '
                    'never holds them all.'),
    cfg.IntOpt('max_request_body_size', default=10 * 1024 * 1024, min=64 * 1024,
               help='Largest request body the API accepts, in bytes; a larger one is answered '
                    '413 without being read (its Content-Length), or as soon as reading it '
                    'passes the limit (a chunked body). The default holds a subcloud add with '
                    'its bootstrap, deploy-config and install values files at their largest '
                    '(1 MiB each, about 3 MiB in all).'),
    cfg.StrOpt('public_url',
               help='Base URL clients use to reach the API, used in the version document. '
                    'Defaults to the URL of the request.'),
    cfg.IntOpt('connection_limit', default=1000, min=1,
               help='Client connections each API process keeps open at once. Connections beyond '
                    'it wait in the listen backlog until one closes: keep it above the number '
                    'of clients that may be connected at once (each connection needs a file '
                    'descriptor; the open-file limit is raised accordingly at start).'),
    cfg.IntOpt('idle_timeout', default=60, min=1,
               help='Seconds a client connection may stay idle (nothing received, no request in '
                    'progress) before it is closed: a kept-alive connection between two '
                    'requests, or a request body that stopped coming.'),
    cfg.IntOpt('header_timeout', default=10, min=1,
               help='Seconds a client has to send a whole request header, counted from the '
                    'opening of its connection (or from the first byte of a later request on '
                    'it); then the connection is closed. Bounds how long clients that send '
                    'their headers slowly can hold connections, so they cannot lock other '
                    'clients out for longer than this.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
