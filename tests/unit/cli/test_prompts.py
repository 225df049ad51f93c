"""Confirmations (CLI_CONFIRMATIONS, --yes, the answers that proceed) and the password rule
without a terminal."""

import io

import pytest

from dcmanager.cli import errors, prompts

ENABLED = {'CLI_CONFIRMATIONS': 'enabled'}


class App:
    def __init__(self, answer):
        self.stdin = io.StringIO(answer)
        self.stderr = io.StringIO()


@pytest.mark.parametrize('answer', ['yes\n', 'y\n', 'YES\n', ' Y \n', 'Yes'])
def test_yes_proceeds(answer):
    app = App(answer)
    prompts.confirm(app, 'Delete subcloud sc1? This cannot be undone.', False, ENABLED)
    assert app.stderr.getvalue() == (
        'Delete subcloud sc1? This cannot be undone. Type "yes" to continue: \n')


@pytest.mark.parametrize('answer', ['no\n', 'n\n', '\n', '', 'yess\n', 'sure\n'])
def test_anything_else_cancels(answer):
    app = App(answer)
    with pytest.raises(errors.Cancelled) as info:
        prompts.confirm(app, 'Unmanage subcloud sc1?', False, ENABLED)
    assert str(info.value) == 'Cancelled: nothing was changed'


@pytest.mark.parametrize('yes, environ', [
    (True, ENABLED), (False, {}), (False, {'CLI_CONFIRMATIONS': 'disabled'}),
    (False, {'CLI_CONFIRMATIONS': 'Enabled'})])
def test_no_prompt_with_yes_or_without_confirmations(yes, environ):
    app = App('no\n')
    prompts.confirm(app, 'Delete subcloud sc1?', yes, environ)
    assert app.stderr.getvalue() == ''
    assert app.stdin.read() == 'no\n'  # nothing was read


def test_password_given_is_used_and_missing_without_terminal_is_an_error():
    app = App('')
    assert prompts.password(app, 'pw', '--manager-password', 'x') == 'pw'
    with pytest.raises(errors.CommandError, match='^--manager-password is required$'):
        prompts.password(app, None, '--manager-password', 'manager password')


def test_b64():
    assert prompts.b64('Sysadmin*1') == 'U3lzYWRtaW4qMQ=='
