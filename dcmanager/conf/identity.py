"""[identity], [token_cache] and [work_queue]: the outbound identity client layer."""

from oslo_config import cfg

IDENTITY = cfg.OptGroup('identity', title='Outbound calls to subclouds and peer sites')
TOKEN_CACHE = cfg.OptGroup('token_cache', title='Cache of tokens for subclouds and peer sites')
WORK_QUEUE = cfg.OptGroup('work_queue', title='Bounded queue of outbound work')

identity_opts = [
    cfg.FloatOpt('request_timeout', default=30.0, min=0.1,
                 help='Seconds an outbound HTTP request (token requests included) may wait '
                      'to connect and for each read of its answer. Calls to subclouds have '
                      'their own: [subcloud] connect_timeout and read_timeout.'),
]

token_cache_opts = [
    cfg.StrOpt('backend', default='memory', choices=('memory', 'database'),
               help='"memory": each process keeps its own tokens. "database": every process of '
                    'the site shares them (encrypted at rest with the site key), so the site asks '
                    'a subcloud for at most one token per token lifetime.'),
    cfg.IntOpt('early_renewal_seconds', default=300, min=0,
               help='Renew a token this many seconds before it expires (at most a quarter of '
                    'its lifetime).'),
    cfg.IntOpt('early_renewal_jitter_seconds', default=160, min=0,
               help='Up to this many more seconds, drawn at random per token, so that many '
                    'tokens do not renew at the same moment.'),
    cfg.FloatOpt('renewal_timeout', default=30.0, min=0.1,
                 help='A token renewal still running after this many seconds is abandoned; the '
                      'next caller starts a new one.'),
    cfg.IntOpt('max_entries', default=10000, min=1,
               help='Most tokens the memory backend keeps (earliest expiry evicted first).'),
    cfg.IntOpt('purge_interval', default=600, min=1,
               help='Seconds between purges of expired tokens from the database backend.'),
]

work_queue_opts = [
    cfg.IntOpt('workers', default=64, min=1,
               help='Threads that run outbound work (e.g. subcloud audits) in each process.'),
    cfg.IntOpt('max_pending', default=10000, min=1,
               help='Accepted, unfinished jobs at most; more are refused at once, not dropped.'),
    cfg.FloatOpt('retry_delay', default=2.0, min=0,
                 help='Seconds between two tries of a failed job.'),
]


def register_opts(conf):
    for group, opts in ((IDENTITY, identity_opts), (TOKEN_CACHE, token_cache_opts),
                        (WORK_QUEUE, work_queue_opts)):
        conf.register_group(group)
        conf.register_opts(opts, group=group)


def list_opts():
    return {IDENTITY: identity_opts, TOKEN_CACHE: token_cache_opts, WORK_QUEUE: work_queue_opts}
