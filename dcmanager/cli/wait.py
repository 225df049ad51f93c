"""``--wait``: poll a long operation until it ends, showing progress on stderr.

On a terminal the progress is one line rewritten in place (``\\r``, with a bar when there is a
fraction to show); otherwise (scripts, CI, a pipe) it is plain lines without any control
character, one each time something changed and at least every ``PLAIN_EVERY`` seconds. The
result of the command stays on stdout; what failed is told after the progress, one ``FAILED``
line per failure on stderr, and the exit code says whether everything succeeded. A wait is
bounded (``--wait-timeout``): past it, one ``ERROR (app)`` line with where it stood.
"""

import dataclasses
import time

from dcmanager.cli import errors

PLAIN_EVERY = 30
BAR_WIDTH = 20
# A migrating member's deploy statuses while its rehome is under way.
REHOMING_STATES = ('pre-rehome', 'rehoming')


@dataclasses.dataclass
class State:
    """What one poll found: ``key`` (a change of it is worth a plain line), the progress
    ``line``, whether it is over (``done``), the ``fraction`` done if known, and the exit
    code and failure lines for when it is over."""

    key: object
    line: str
    done: bool = False
    fraction: float = None
    code: int = 0
    failures: tuple = ()
    counts: tuple = ()


class Progress:
    """Progress lines on ``stream``: rewritten in place on a terminal, plain otherwise."""

    def __init__(self, stream, tty=None, clock=time.monotonic):
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.clock = clock
        self.last_key = object()
        self.last_time = None
        self.open_line = False

    def show(self, state):
        now = self.clock()
        if self.tty:
            bar = ''
            if state.fraction is not None:
                filled = int(round(BAR_WIDTH * max(0.0, min(1.0, state.fraction))))
                bar = '[%s%s] ' % ('#' * filled, '.' * (BAR_WIDTH - filled))
            self.stream.write('\r%s%s\x1b[K' % (bar, state.line))
            self.open_line = True
        elif (state.key != self.last_key or self.last_time is None
              or now - self.last_time >= PLAIN_EVERY):
            self.stream.write(state.line + '\n')
            self.last_key, self.last_time = state.key, now
        self.stream.flush()

    def end(self):
        if self.open_line:
            self.stream.write('\n')
            self.stream.flush()
            self.open_line = False


def until(step, progress, timeout, interval, on_timeout, clock=time.monotonic,
          sleep=time.sleep):
    """Call ``step(elapsed_seconds)`` (a ``State``) every ``interval`` seconds until it is done
    (its code, after writing its failure lines) or ``timeout`` seconds have passed
    (CommandError ``on_timeout(last state)``)."""
    start = clock()
    while True:
        state = step(int(clock() - start))
        progress.show(state)
        if state.done:
            progress.end()
            for line in state.failures:
                progress.stream.write(line + '\n')
            progress.stream.flush()
            return state.code
        left = timeout - (clock() - start)
        if left <= 0:
            progress.end()
            raise errors.CommandError(on_timeout(state))
        sleep(min(interval, left))


def failed_line(name, status, description):
    return 'FAILED %s: %s: %s' % (name, status, description or '')


# ------------------------------------------------------------------ the three operations

def migration_state(group, members, elapsed):
    """The state of a peer group's migration from the group and its members (as listed)."""
    name = group.get('peer_group_name')
    statuses = [m.get('deploy-status') or '' for m in members]
    total = len(members)
    complete = sum(1 for s in statuses if s == 'complete')
    failed = sum(1 for s in statuses if s.endswith('-failed'))
    remaining = total - complete - failed
    line = 'migrate %s: %d/%d complete, %d failed, %d remaining, %d s elapsed' % (
        name, complete, total, failed, remaining, elapsed)
    done = (group.get('migration_status') != 'migrating'
            and not any(s in REHOMING_STATES for s in statuses))
    failures = tuple(failed_line(m.get('name'), m.get('deploy-status'),
                                 m.get('error-description'))
                     for m in members if m.get('deploy-status') != 'complete')
    state = State(key=(complete, failed, remaining), line=line,
                  done=done, fraction=(complete + failed) / total if total else 1.0,
                  code=1 if failures else 0, failures=failures,
                  counts=(complete, total, failed))
    return state


def migration_timeout(name, seconds_text):
    def message(state):
        complete, total, failed = state.counts
        return 'migrate %s did not finish within %s s (%d/%d complete, %d failed)' % (
            name, seconds_text, complete, total, failed)
    return message


def add_state(subcloud, elapsed):
    """The state of a subcloud being added: done at complete + online, or failed."""
    name = subcloud.get('name')
    deploy = subcloud.get('deploy-status') or ''
    availability = subcloud.get('availability-status')
    line = 'add %s: %s, %s, %d s elapsed' % (name, deploy, availability, elapsed)
    if deploy.endswith('-failed'):
        return State((deploy, availability), line, done=True, code=1, failures=(
            failed_line(name, deploy, subcloud.get('error-description')),))
    return State((deploy, availability), line,
                 done=deploy == 'complete' and availability == 'online')


def add_timeout(name, seconds_text):
    def message(state):
        return 'add %s did not finish within %s s (%s)' % (name, seconds_text, state.key[0])
    return message


def sync_state(association, elapsed):
    """The state of an association's sync: done at in-sync, or failed."""
    ident = association.get('id')
    status = association.get('sync-status')
    line = 'sync association %s: %s, %d s elapsed' % (ident, status, elapsed)
    if status == 'failed':
        return State(status, line, done=True, code=1, failures=(
            'FAILED association %s: failed: %s' % (ident, association.get('sync-message')
                                                   or ''),))
    return State(status, line, done=status == 'in-sync')


def sync_timeout(ident, seconds_text):
    def message(state):
        return 'sync association %s did not finish within %s s (%s)' % (
            ident, seconds_text, state.key)
    return message
