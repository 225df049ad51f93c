"""Recovery of the transitory states a dead manager left behind: a registry of kinds.

A transitory status (an operation under way) always has an owner, the ``[DEFAULT] host`` of the
manager running the operation, written with the status. Each kind of resource with such a
status registers a ``Kind``: its name, its state table (``common/states.py``: which values are
transitory, and the stable value and description each goes to) and the function that moves its
leftovers, one compare-and-set UPDATE on the status and the owner. The manager service runs
every registered kind:

* when it starts, before it takes requests (``recover_at_start``): the rows its host owns (its
  previous run ended with them unfinished), those without an owner (left by an older version)
  and those whose owner is dead;
* at each heartbeat (``recover_dead_owners``, ``liveness``): the rows whose owner is dead, with no
  heartbeat for ``[manager] service_down_time`` seconds; never its own.

A row whose owner is another, live manager is never touched. A recovery is one compare-and-set,
so two managers recovering at once move each row once; and since every step of an operation is a
compare-and-set of the status it leaves, an operation recovered under a manager thought dead
cannot move on afterwards.

Subclouds (their deploy status, ``states.DEPLOY``) are registered here; peer-group migrations
(``states.MIGRATION``) and association syncs (``states.ASSOCIATION_SYNC``) register the same way.
"""

import dataclasses
import typing

from oslo_log import log as logging

from dcmanager import objects
from dcmanager.common import states, statetable
from dcmanager.conf import CONF
from dcmanager.manager import liveness

LOG = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Kind:
    """How the leftovers of one kind of resource are recovered.

    ``name``: what the log calls them (``subcloud(s)``); ``table``: the state table of their
    status column, whose ``recoveries()`` say which values are recovered and where each goes;
    ``recover(context, recoveries, host, binary, down_time, at_start)``: move the rows in one of
    ``recoveries``' states whose owner is dead (no ``binary`` heartbeat for ``down_time``
    seconds, never ``host``; with ``at_start``, also ``host``'s own and those without an owner)
    to its target with its description, in one compare-and-set; returns how many it moved.
    """

    name: str
    table: statetable.StateTable
    recover: typing.Callable[..., int]


class Registry:
    """The kinds whose leftovers the manager recovers, run in the order they were registered."""

    def __init__(self):
        self._kinds = {}

    def register(self, kind):
        """Add ``kind`` (ValueError if one of that name is registered); returns it."""
        if kind.name in self._kinds:
            raise ValueError('A recovery of %s is already registered' % kind.name)
        self._kinds[kind.name] = kind
        return kind

    def unregister(self, name):
        """Remove the kind called ``name``."""
        del self._kinds[name]

    def kinds(self):
        """The registered kinds, in registration order."""
        return list(self._kinds.values())

    def run(self, context, host, at_start):
        """Recover every kind's leftovers for the manager of ``host``; returns how many rows
        moved in all. At start an error stops the start (nothing is accepted before recovery);
        at a heartbeat it is logged and the other kinds still run."""
        total = 0
        for kind in self.kinds():
            try:
                moved = kind.recover(context, kind.table.recoveries().values(), host,
                                     liveness.BINARY, CONF.manager.service_down_time,
                                     at_start=at_start)
            except Exception:
                if at_start:
                    raise
                # The heartbeat's loop boundary: one kind's failure must not stop the others.
                LOG.exception('Recovery of %s left by dead managers failed', kind.name)
                continue
            if moved:
                _log(kind, moved, host, at_start)
            total += moved
        return total


def _log(kind, moved, host, at_start):
    if at_start:
        LOG.warning('Moved %(n)d %(kind)s left in a transitory %(column)s by a previous run of '
                    'this manager (%(host)s), by a dead manager or by none to its recovery '
                    'target', {'n': moved, 'kind': kind.name, 'column': kind.table.name,
                               'host': host})
    else:
        LOG.warning('Moved %(n)d %(kind)s whose manager has had no heartbeat for %(down)d s to '
                    'its recovery target', {'n': moved, 'kind': kind.name,
                                             'down': CONF.manager.service_down_time})


REGISTRY = Registry()
register = REGISTRY.register



def _recover_subclouds(context, recoveries, host, binary, down_time, at_start=False):
    # Looked up when called: the object classes exist once objects.register_all() has run.
    return objects.Subcloud.recover_transitory(context, recoveries, host, binary, down_time,
                                               at_start=at_start)


SUBCLOUDS = register(Kind('subcloud(s)', states.DEPLOY, _recover_subclouds))


def _recover_association_syncs(context, recoveries, host, binary, down_time, at_start=False):
    return objects.PeerGroupAssociation.recover_syncing(context, recoveries, host, binary,
                                                        down_time, at_start=at_start)


ASSOCIATION_SYNCS = register(Kind('peer group association sync(s)', states.ASSOCIATION_SYNC,
                                  _recover_association_syncs))


def _recover_migrations(context, recoveries, host, binary, down_time, at_start=False):
    return objects.SubcloudPeerGroup.recover_migrations(context, recoveries, host, binary,
                                                        down_time, at_start=at_start)


MIGRATIONS = register(Kind('peer group migration(s)', states.MIGRATION, _recover_migrations))


def recover_at_start(context, host, registry=REGISTRY):
    """When the manager of ``host`` starts, before it takes requests: move what its previous
    run, a dead manager or none left in a transitory state to its recovery target, for every
    registered kind; returns how many rows moved."""
    return registry.run(context, host, at_start=True)


def recover_dead_owners(context, host, registry=REGISTRY):
    """Move what the dead managers (no heartbeat for ``[manager] service_down_time`` seconds;
    never ``host``) left in a transitory state to its recovery target, for every registered
    kind; returns how many rows moved."""
    return registry.run(context, host, at_start=False)
