"""Raising a process's open-file limit (RLIMIT_NOFILE) towards what it needs.

The soft limit may always be raised up to the hard limit. The hard limit itself may be raised
only by a privileged process (root, or CAP_SYS_RESOURCE), and never above ``fs.nr_open``: a
site or a simulator of 10,000 subclouds started as root on a machine whose hard limit is
20,000 would otherwise stop short of what it needs for no good reason.
"""

import resource

NR_OPEN = '/proc/sys/fs/nr_open'


def _nr_open():
    """The kernel's ceiling for any process's limit (None when it cannot be read)."""
    try:
        with open(NR_OPEN) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def _raise_hard(wanted, soft, hard):
    """Try a hard limit of ``wanted`` (capped at fs.nr_open); the hard limit afterwards."""
    ceiling = _nr_open()
    target = wanted if ceiling is None else min(wanted, ceiling)
    if target <= hard:
        return hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), target))
    except (ValueError, OSError):  # not privileged: the hard limit stays
        return hard
    return target


def raise_limit(wanted):
    """Raise this process's open-file limit towards ``wanted`` descriptors: the soft limit up
    to the hard one, and the hard one too where the process may. Returns the soft limit now in
    force (it may still be below ``wanted``: the caller decides whether that is fatal)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        hard = _raise_hard(wanted, soft, hard)
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft
