"""What the CLI asks the operator: confirmations of destructive commands, and passwords.

Confirmations follow the reference client: only with ``CLI_CONFIRMATIONS=enabled`` in the
environment, and never with ``--yes``. The question goes to stderr (stdout stays the command's
result), one line is read from stdin, and only ``yes``/``y`` proceed: anything else, end of
input included, cancels before any request is sent.

A password that was not given is asked for only on a terminal (without echo); a script without
a terminal gets an error naming the option instead of a prompt it cannot answer.
"""

import base64
import getpass
import os

from dcmanager.cli import errors

ENV = 'CLI_CONFIRMATIONS'


def confirmations_enabled(environ=None):
    return (os.environ if environ is None else environ).get(ENV) == 'enabled'


def is_yes(answer):
    return answer.strip().lower() in ('yes', 'y')


def confirm(app, question, yes, environ=None):
    """Ask ``question`` (``Delete subcloud sc1? This cannot be undone.``) unless ``yes`` or
    confirmations are off; ``errors.Cancelled`` unless the answer is yes."""
    if environ is None:
        environ = getattr(app, 'environ', None)  # the app's environment, else the process's
    if yes or not confirmations_enabled(environ):
        return
    app.stderr.write('%s Type "yes" to continue: ' % question)
    app.stderr.flush()
    answer = app.stdin.readline()
    if not _isatty(app.stdin):
        app.stderr.write('\n')  # nobody typed the line end: keep the error on its own line
        app.stderr.flush()
    if not is_yes(answer):
        raise errors.Cancelled()


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def password(app, given, option, what):
    """``given``, or (on a terminal) the password typed twice; CommandError ``<option> is
    required`` without a terminal."""
    if given is not None:
        return given
    if not _isatty(app.stdin):
        raise errors.CommandError('%s is required' % option)
    first = getpass.getpass('Enter the %s: ' % what)
    second = getpass.getpass('Re-enter the %s to confirm: ' % what)
    if first != second:
        raise errors.CommandError('The passwords do not match')
    if not first:
        raise errors.CommandError('%s is required' % option)
    return first


def b64(text):
    """A password as the API takes it."""
    return base64.b64encode(text.encode('utf-8')).decode('ascii')
