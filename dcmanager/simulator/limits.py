"""The open-file budget: two listening sockets per subcloud (one when its identity API and its
audit agent share a port), plus connections.

The simulator raises its own RLIMIT_NOFILE soft limit to the hard limit at start (and the hard
limit to what the fleet needs, where the process may: root, up to ``fs.nr_open``), and refuses
to start (with a message saying what to do) when even then the limit cannot hold the listeners
and a reasonable number of connections, rather than failing half-way with EMFILE.
"""

import resource

from dcmanager.common import nofile

RESERVE = 1024  # connections, the control port, the state file, the interpreter's own files
# Of the files left after the listeners: kept for the control port, the state file and the
# interpreter's own; the rest may be subcloud connections.
OTHER_FILES = 128


class LimitError(Exception):
    """The hard open-file limit is too low for the requested fleet."""


def needed(count, sockets_per_subcloud=2):
    return sockets_per_subcloud * count + RESERVE


def raise_nofile(count, sockets_per_subcloud=2):
    """Raise the soft RLIMIT_NOFILE to the hard limit (the hard limit first to what ``count``
    subclouds of ``sockets_per_subcloud`` listeners need, where the process may); return the
    new soft limit."""
    want = needed(count, sockets_per_subcloud)
    nofile.raise_limit(want)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want:
        raise LimitError(
            'the hard open-file limit (RLIMIT_NOFILE) is %d but %d subclouds need at least %d '
            '(%d listening socket(s) each plus %d for connections); raise it (ulimit -Hn, '
            'LimitNOFILE= in a systemd unit, nofile in limits.conf), give --identity-port and '
            '--agent-port the same port (one listener per subcloud) or simulate fewer subclouds'
            % (hard, count, want, sockets_per_subcloud, RESERVE))
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 4 * want)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return max(target, soft)


def connection_limit(soft, count, sockets_per_subcloud=2):
    """Subcloud connections the fleet may hold at once within the open-file limit ``soft``
    (None: no limit) next to its listeners."""
    if soft == resource.RLIM_INFINITY:
        return None
    return max(soft - sockets_per_subcloud * count - OTHER_FILES, 1)
