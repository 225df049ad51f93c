"""A cache for oslo.policy's argument specs of check methods (a fix of its speed, not logic).

oslo.policy evaluates every check of a rule through ``_checks._check``, which calls
``inspect.getfullargspec(check.__call__)`` to know whether the check takes the rule's name: seven
times for one authorization of ``dc_api:subclouds:get``, a fifth of the CPU of a subcloud show.
A function's signature never changes, so its spec is computed once per function (a bound
method's spec is its function's, ``self`` included). The cache is bounded.
"""

import functools
import inspect
import types

from oslo_policy import _checks


@functools.lru_cache(maxsize=1024)
def _spec_of_function(func):
    return inspect.getfullargspec(func)


def getfullargspec(func):
    """What ``inspect.getfullargspec`` returns, computed once per function."""
    return _spec_of_function(getattr(func, '__func__', func))


def install():
    """Make oslo.policy's checks use the cached spec (idempotent); only its ``_checks`` module
    sees the change."""
    if getattr(_checks.inspect, 'getfullargspec', None) is not getfullargspec:
        _checks.inspect = types.SimpleNamespace(getfullargspec=getfullargspec)
