"""dcmanager.common.states: the state tables, their moves and their crash-recovery targets."""

import ast
import itertools
import pathlib

import pytest

from dcmanager.audit import availability
from dcmanager.common import exception, states, statetable

TABLES = sorted((value for value in vars(states).values()
                 if isinstance(value, statetable.StateTable)), key=lambda table: table.name)
MANAGER = pathlib.Path(states.__file__).parent.parent / 'manager'

# The recovery rule of the v1.0 API: transitory deploy status -> where a restart leaves it.
SPEC_DEPLOY_RECOVERY = {
    'not-deployed': 'create-failed', 'creating': 'create-failed',
    'pre-deploy': 'pre-config-failed', 'pre-install': 'pre-install-failed',
    'installing': 'install-failed', 'pre-bootstrap': 'pre-bootstrap-failed',
    'bootstrapping': 'bootstrap-failed', 'pre-config': 'pre-config-failed',
    'configuring': 'config-failed', 'deploying': 'config-failed',
    'aborting-install': 'install-failed', 'aborting-bootstrap': 'bootstrap-failed',
    'aborting-config': 'config-failed', 'pre-restore': 'restore-prep-failed',
    'restoring': 'restore-failed', 'onsite-restoring': 'restore-failed',
    'pre-rehome': 'rehome-prep-failed', 'rehoming': 'rehome-failed',
    'reconfiguring-network': 'network-reconfiguration-failed',
    'pre-enroll': 'pre-enroll-failed', 'enrolling': 'enroll-failed',
    'pre-init-enroll': 'pre-init-enroll-failed', 'initiating-enroll': 'init-enroll-failed',
}


def test_every_table_is_found():
    assert [table.name for table in TABLES] == [
        'association sync status', 'availability', 'deploy status',
        'peer group migration status', 'sync status', 'system peer availability']


# ------------------------------------------------------------------ the values of the API

def test_the_deploy_statuses_and_their_recovery_are_the_apis():
    assert states.DEPLOY_STATES == states.DEPLOY.states
    assert len(states.DEPLOY.states) == 57
    assert {s: states.DEPLOY.recovery(s).target
            for s in states.DEPLOY.transitory} == SPEC_DEPLOY_RECOVERY
    assert {'secondary', 'secondary-failed', 'pre-rehome', 'rehoming', 'rehome-failed',
            'rehome-prep-failed', 'rehome-pending', 'complete'} <= states.DEPLOY.states


def test_the_geo_redundancy_values_are_the_apis():
    assert states.PEER_AVAILABILITY.states == {'created', 'available', 'unavailable'}
    assert states.ASSOCIATION_SYNC.states == {
        'syncing', 'in-sync', 'out-of-sync', 'failed', 'unknown'}
    assert states.MIGRATION.states == {None, 'migrating', 'complete'}
    assert states.AVAILABILITY.states == set(states.AVAILABILITY_STATES)
    assert states.SYNC.states == set(states.SYNC_STATES)


# ------------------------------------------------------------------ recovery targets

@pytest.mark.parametrize('table', TABLES, ids=lambda table: table.name)
def test_every_transitory_state_recovers_to_a_stable_state_it_may_move_to(table):
    for state in table.transitory:
        recovery = table.recovery(state)
        assert recovery.state == state
        assert recovery.target in table.stable, state
        assert table.allows(state, recovery.target), state
        assert ' was %s' % ('none' if state is None else state) in recovery.description
    assert set(table.recoveries()) == table.transitory
    assert table.stable | table.transitory == table.states
    assert not table.stable & table.transitory


def test_the_transitory_states_of_the_geo_tables():
    assert states.MIGRATION.transitory == {'migrating'}
    # The fence moved the leader first: a migration cut short ends complete.
    assert states.MIGRATION.recovery('migrating').target == states.MIGRATION_COMPLETE
    assert states.ASSOCIATION_SYNC.transitory == {'syncing'}
    assert states.ASSOCIATION_SYNC.recovery('syncing').target == 'failed'
    assert not states.PEER_AVAILABILITY.transitory
    assert not states.AVAILABILITY.transitory and not states.SYNC.transitory
    # rehome-pending waits for the peer site, not for one of this site's managers.
    assert not states.DEPLOY.is_transitory(states.DEPLOY_REHOME_PENDING)


def test_the_recovery_description_names_the_state_and_what_to_do():
    recovery = states.DEPLOY.recovery(states.DEPLOY_ENROLLING)
    assert recovery.description == (
        'The manager running the operation stopped (restarted or died) while the subcloud was '
        'enrolling; the operation did not finish. Run it again: for an enrollment, dcmanager '
        'subcloud redeploy.')
    assert 'migration' in states.MIGRATION.recovery('migrating').description
    assert 'sync' in states.ASSOCIATION_SYNC.recovery('syncing').description


# ------------------------------------------------------------------ the moves the code makes

def _deploy_moves_in_the_manager():
    """(file, line, from, to) of every deploy status move the manager's code names: a call of
    ``transition`` or ``_fail`` whose first two ``states.<NAME>`` arguments are the move."""
    moves = []
    for path in sorted(MANAGER.glob('*.py')):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, 'attr', getattr(node.func, 'id', None))
            if name not in ('transition', '_fail', 'check'):
                continue
            named = [getattr(states, arg.attr) for arg in node.args
                     if isinstance(arg, ast.Attribute) and getattr(arg.value, 'id', '') == 'states']
            if len(named) >= 2:
                moves.append((path.name, node.lineno, named[0], named[1]))
    return moves


def test_every_deploy_status_move_of_the_manager_is_allowed():
    moves = _deploy_moves_in_the_manager()
    found = {(source, target) for _, _, source, target in moves}
    # The enrollment's steps and failures (enroll.py) and the redeploy (subclouds.py) at least:
    # the scan sees the code.
    assert {('pre-enroll', 'enrolling'), ('pre-enroll', 'pre-enroll-failed'),
            ('enrolling', 'complete'), ('enrolling', 'enroll-failed')} <= found
    for path, line, source, target in moves:
        assert states.DEPLOY.allows(source, target), '%s:%d %s -> %s' % (path, line, source,
                                                                          target)


def test_a_redeploy_is_a_move_of_the_table():
    for state in states.ENROLL_FAILED_STATES:
        assert states.DEPLOY.allows(state, states.DEPLOY_PRE_ENROLL)
    assert states.DEPLOY_PRE_ENROLL in states.DEPLOY.initial  # what an add creates


def test_every_availability_the_audit_decides_is_allowed():
    outcomes = (availability.Outcome(success=True), availability.failed('down'))
    for before, count, outcome in itertools.product(
            states.AVAILABILITY_STATES, range(4), outcomes):
        decision = availability.decide(before, count, outcome)
        assert decision.changed == (decision.availability != before)
        if decision.changed:
            states.AVAILABILITY.check(before, decision.availability)


def test_the_heartbeats_association_moves_are_allowed():
    # peer unreachable: in-sync -> unknown, unknown stays, every other -> failed; back:
    # unknown -> in-sync, failed -> out-of-sync.
    down = {'in-sync': 'unknown', 'unknown': 'unknown', 'out-of-sync': 'failed',
            'syncing': 'failed', 'failed': 'failed'}
    back = {'unknown': 'in-sync', 'failed': 'out-of-sync'}
    for source, target in list(down.items()) + list(back.items()):
        states.ASSOCIATION_SYNC.check(source, target)
    for state in states.ASSOCIATION_SYNC.states - {'unknown'}:
        states.ASSOCIATION_SYNC.check(state, 'syncing' if state != 'syncing' else 'in-sync')


def test_the_migrations_deploy_status_moves_are_allowed():
    moves = [('secondary', 'pre-rehome'), ('secondary', 'rehome-prep-failed'),
             ('rehome-failed', 'pre-rehome'),
             ('rehome-prep-failed', 'pre-rehome'), ('pre-rehome', 'rehoming'),
             ('pre-rehome', 'rehome-prep-failed'), ('rehoming', 'complete'),
             ('rehoming', 'rehome-failed'), ('complete', 'rehome-pending'),
             ('rehome-pending', 'secondary'), ('rehome-pending', 'complete'),
             ('rehome-pending', 'rehome-failed')]
    for source, target in moves:
        states.DEPLOY.check(source, target)
    states.MIGRATION.check(None, 'migrating')
    states.MIGRATION.check('migrating', 'complete')
    states.MIGRATION.check('complete', None)
    states.PEER_AVAILABILITY.check('created', 'available')
    states.PEER_AVAILABILITY.check('available', 'unavailable')
    states.PEER_AVAILABILITY.check('unavailable', 'unavailable')


# ------------------------------------------------------------------ refused moves

@pytest.mark.parametrize('table, source, target', [
    (states.DEPLOY, 'complete', 'enrolling'),
    (states.DEPLOY, 'enroll-failed', 'complete'),
    (states.DEPLOY, 'complete', 'complete'),
    (states.DEPLOY, 'rehoming', 'secondary'),
    (states.DEPLOY, 'secondary', 'complete'),
    (states.DEPLOY, 'no-such-state', 'complete'),
    (states.DEPLOY, 'complete', 'no-such-state'),
    (states.AVAILABILITY, 'online', 'online'),
    (states.PEER_AVAILABILITY, 'available', 'created'),
    (states.MIGRATION, None, 'complete'),
    (states.ASSOCIATION_SYNC, 'unknown', 'out-of-sync'),
    (states.ASSOCIATION_SYNC, 'syncing', 'unknown'),
])
def test_a_move_the_table_does_not_allow_is_refused(table, source, target):
    assert not table.allows(source, target)
    with pytest.raises(exception.InvalidStateTransition) as caught:
        table.check(source, target)
    assert caught.value.code == 409
    shown = ['none' if state is None else state for state in (source, target)]
    assert 'The %s cannot go from %s to %s' % (table.name, shown[0], shown[1]) in str(caught.value)


def test_the_refusal_says_where_the_state_may_go():
    with pytest.raises(exception.InvalidStateTransition,
                       match=r'from enrolling: complete, enroll-complete, enroll-failed\)$'):
        states.DEPLOY.check('enrolling', 'pre-enroll')
    with pytest.raises(exception.InvalidStateTransition, match=r'from nowhere: none\)$'):
        states.DEPLOY.check('nowhere', 'complete')


# ------------------------------------------------------------------ a table checks itself

def test_a_table_refuses_an_undeclared_state():
    with pytest.raises(ValueError, match='t: undeclared state.s. b'):
        statetable.StateTable('t', {'a': ('b',)})
    with pytest.raises(ValueError, match='t: undeclared state.s. c'):
        statetable.StateTable('t', {'a': ()}, recovery={'a': 'c'})
    with pytest.raises(ValueError, match='t: undeclared state.s. z'):
        statetable.StateTable('t', {'a': ()}, initial=('z',))


def test_a_table_refuses_a_recovery_to_a_transitory_state():
    with pytest.raises(ValueError, match='t: a recovers to b, which is transitory'):
        statetable.StateTable('t', {'a': (), 'b': (), 'c': ()}, recovery={'a': 'b', 'b': 'c'})


def test_a_transitory_state_may_always_move_to_its_target():
    table = statetable.StateTable('t', {'a': ('b',), 'b': (), 'failed': ()},
                                  recovery={'b': 'failed'}, description='left %(state)s')
    assert table.allows('b', 'failed')
    assert not table.allows('a', 'failed')
    assert table.recovery('b') == statetable.Recovery('b', 'failed', 'left b')
    assert table.targets('b') == {'failed'}
    assert table.stable == {'a', 'failed'}


@pytest.mark.parametrize('table', TABLES, ids=lambda table: table.name)
def test_every_state_but_an_initial_one_can_be_reached(table):
    reached = set(table.initial).union(*(table.targets(state) for state in table.states))
    assert reached == table.states
