"""A state table: the values one status column may hold, the moves between them, and where a
manager's crash leaves each transitory one.

Ironic's state machine in spirit (``ironic/common/states.py``), without events: dcmanager's code
names the state it moves to, so a table only has to say whether that move is allowed
(``check``), which states are transitory (an operation is under way and a manager owns it) and,
for each of those, the stable state and error description a dead manager's leftover is moved to
(``recovery``). The tables themselves are in ``states.py``.

A table is checked when it is built (every state named is declared, every transitory state has a
recovery target that is stable): a mistake fails at import, not in production.
"""

import dataclasses

from dcmanager.common import exception


def _shown(state):
    # NULL is shown as the API shows it (``migration_status`` none).
    return 'none' if state is None else str(state)


@dataclasses.dataclass(frozen=True)
class Recovery:
    """Where a transitory ``state`` left by a dead manager goes: ``target`` (a stable state), with
    ``description`` (for the row's error description or message)."""

    state: object
    target: object
    description: str


class StateTable:
    """The states of one column and the moves between them.

    ``transitions``: {state: the states it may move to}, every state of the column a key (a
    state with no way out maps to ``()``). Staying in a state is a move only where declared.
    ``recovery``: {transitory state: its recovery target}; a transitory state may always move
    to its target. ``description``: the recovery description format (``%(state)s`` is the
    transitory state). ``initial``: the states a row may be created in.
    """

    def __init__(self, name, transitions, recovery=None, description='', initial=()):
        self.name = name
        recovery = dict(recovery or {})
        moves = {state: frozenset(targets) for state, targets in transitions.items()}
        for state, target in recovery.items():
            moves[state] = moves.get(state, frozenset()) | {target}
        self._moves = moves
        self.states = frozenset(moves)
        self.transitory = frozenset(recovery)
        self.stable = self.states - self.transitory
        self.initial = frozenset(initial)
        self._recoveries = {state: Recovery(state, target, description % {'state': _shown(state)})
                            for state, target in recovery.items()}
        self._validate()

    def _validate(self):
        named = set(self.initial).union(*self._moves.values())
        unknown = named - self.states
        if unknown:
            raise ValueError('%s: undeclared state(s) %s' % (
                self.name, ', '.join(sorted(map(_shown, unknown)))))
        for recovery in self._recoveries.values():
            if recovery.target in self.transitory:
                raise ValueError('%s: %s recovers to %s, which is transitory' % (
                    self.name, _shown(recovery.state), _shown(recovery.target)))

    def __repr__(self):
        return '<StateTable %s>' % self.name

    def allows(self, from_state, to_state):
        """True if ``from_state`` may move to ``to_state``."""
        return to_state in self._moves.get(from_state, ())

    def check(self, from_state, to_state):
        """Refuse (InvalidStateTransition, 409) a move the table does not allow."""
        if not self.allows(from_state, to_state):
            allowed = sorted(map(_shown, self._moves.get(from_state, ()))) or ['none']
            raise exception.InvalidStateTransition(
                table=self.name, from_state=_shown(from_state), to_state=_shown(to_state),
                allowed=', '.join(allowed))

    def targets(self, state):
        """The states ``state`` may move to."""
        return self._moves[state]

    def is_transitory(self, state):
        """True if ``state`` is transitory: an operation is under way, owned by a manager."""
        return state in self.transitory

    def recovery(self, state):
        """The ``Recovery`` of the transitory ``state`` (KeyError for any other)."""
        return self._recoveries[state]

    def recoveries(self):
        """{transitory state: its ``Recovery``}."""
        return dict(self._recoveries)
