"""[audit] options: the subcloud audit service (scheduler and workers)."""

from oslo_config import cfg

GROUP = cfg.OptGroup('audit', title='Subcloud audit options')

opts = [
    cfg.IntOpt('interval', default=30, min=1,
               help='Seconds between two audits of a subcloud: a subcloud is due again this long '
                    'after its last audit began (or at once when that audit took longer).'),
    cfg.FloatOpt('scan_interval', default=5.0, min=0.1,
                 help='Seconds between two looks of the scheduler for due subclouds (at most '
                      '"interval"). Subclouds come due at different moments, so a short scan '
                      'spreads the audits over the interval instead of sending them in one '
                      'burst, and a subcloud is audited about every "interval" seconds rather '
                      'than every second interval.'),
    cfg.IntOpt('batch_size', default=50, min=1,
               help='Subclouds sent to a worker in one RPC message; any worker on the topic '
                    'takes the message, so smaller batches spread a scan over more workers.'),
    cfg.IntOpt('lease_seconds', default=180, min=10,
               help='How long a claim on a subcloud holds. While it holds, no scheduler sends '
                    'that subcloud again; a worker that dies leaves its claims to lapse after '
                    'this long. Keep it above the longest audit: [subcloud] '
                    'connect_timeout + read_timeout, plus the time a batch may wait in a busy '
                    'worker.'),
    cfg.IntOpt('offline_workers', default=32, min=1,
               help='Threads of each audit worker that audit the subclouds that went offline '
                    'through failed audits (timed out, refused, ...), apart from the '
                    '[work_queue] workers threads that audit the others: a subcloud that hangs '
                    'holds one of these for up to an audit\'s time ([subcloud] connect_timeout '
                    '+ read_timeout), never a thread of the healthy subclouds. (An online '
                    'subcloud is audited with the healthy ones until it is offline, so that it '
                    'goes offline on schedule.) With more hung subclouds than these threads '
                    'audit in an interval, each is audited about every (hung subclouds x audit '
                    'time / offline_workers) seconds, and comes back online at its next audit '
                    'once it answers. Also the most threads that stand in for stalled audits '
                    '(see stall_seconds).'),
    cfg.FloatOpt('stall_seconds', default=2.0, min=0.1,
                 help='An audit still running after this many seconds (a subcloud that has '
                      'just started to hang) gives its place among the [work_queue] workers '
                      'threads to a new thread, at most offline_workers of them at a time: '
                      'subclouds that start to hang do not hold up the healthy ones either, '
                      'before they are offline and audited apart.'),
    cfg.IntOpt('workers', default=4, min=0,
               help='Worker processes dcmanager-audit forks next to its scheduler (with an RPC '
                    'transport between processes, e.g. RabbitMQ). 0: the scheduler only, the '
                    'workers run elsewhere. With the in-process transport (kombu+memory) the '
                    'worker always runs inside the scheduler\'s process. Each worker runs '
                    '[work_queue] workers threads.'),
    cfg.StrOpt('topic', default='dcmanager-audit',
               help='RPC topic the audit service listens on.'),
    cfg.StrOpt('worker_topic', default='dcmanager-audit-worker',
               help='RPC topic the audit workers listen on; the scheduler casts batches of '
                    'subclouds to it and any worker takes each batch.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
