"""A cache for pecan's argument specs of controller methods (a fix of pecan's speed, not logic).

pecan looks up the argument spec of a controller method many times per request (routing through
nested REST controllers: a dozen times) and ``pecan.compat.getargspec`` creates a new namedtuple
class on every call: about a millisecond per request, more than a whole database read. A
function's signature never changes, so its spec is computed once. The cache is bounded and the
cached lists are only ever copied by pecan, never changed.
"""

import collections
import functools
import inspect

import pecan.compat
import pecan.util

ArgSpec = collections.namedtuple('ArgSpec', 'args varargs keywords defaults')


@functools.lru_cache(maxsize=2048)
def getargspec(func):
    """What ``pecan.compat.getargspec`` returns, computed once per function or bound method."""
    args, varargs, keywords, defaults = inspect.getfullargspec(func)[:4]
    return ArgSpec(args=args, varargs=varargs, keywords=keywords, defaults=defaults)


def install():
    """Make pecan use the cached ``getargspec`` (idempotent)."""
    pecan.compat.getargspec = getargspec
    pecan.util._getargspec = getargspec
