"""Run the real ``dcmanager`` console script as a child process, and read what it prints.

``Cli`` runs the script installed next to the running Python (what ``pip install`` put there,
so the tests exercise the packaged entry point, not an import of ``dcmanager.cli``) with a clean
environment: only ``PATH``, ``HOME`` (a directory of the test's own, so no clouds.yaml of the
machine's is read), ``LANG`` and what the test sets. stdin is a pipe (the answer to a
confirmation prompt, or nothing: end of file), every run has a timeout (a CLI that hangs fails
the test instead of hanging it, and is killed by its pid), and every run's output is checked
for the secrets the ``Cli`` knows (passwords, tokens, and their base64 forms): no password may
ever appear in what the CLI prints.

The parsers read the formats cliff prints: ``table`` (a Lister's rows, or a ShowOne's
Field/Value pairs), ``json``, ``yaml``, ``value``, ``csv`` and ``shell``.
"""

import base64
import csv
import dataclasses
import io
import json
import os
import re
import signal
import subprocess
import sys

import yaml

SCRIPT = os.path.join(os.path.dirname(sys.executable), 'dcmanager')
RUN_TIMEOUT = 120
ERROR_PREFIX = 'ERROR (app) '
# Control characters a plain (not a terminal) output must not hold: everything below a space
# but the newline, and DEL; a tab is allowed.
CONTROL = re.compile('[\x00-\x08\x0b-\x1f\x7f]')


@dataclasses.dataclass
class Result:
    """One finished run: its exit code, stdout and stderr (text), and its argv."""

    code: int
    out: str
    err: str
    argv: list

    def __str__(self):
        return 'dcmanager %s -> exit %s\n--- stdout ---\n%s--- stderr ---\n%s' % (
            ' '.join(self.argv), self.code, self.out, self.err)

    def ok(self):
        """The run succeeded with nothing on stderr; self, for chaining."""
        assert (self.code, self.err) == (0, ''), str(self)
        return self

    def error(self, code=1):
        """The one line of ``ERROR (app) <message>`` the run printed (its exit code ``code``,
        nothing on stdout, a single line on stderr); the message."""
        assert self.code == code, str(self)
        assert self.out == '', str(self)
        lines = self.err.splitlines()
        assert len(lines) == 1 and self.err.endswith('\n'), str(self)
        assert lines[0].startswith(ERROR_PREFIX), str(self)
        assert 'Traceback' not in self.err, str(self)
        return lines[0][len(ERROR_PREFIX):]

    def json(self):
        return json.loads(self.ok().out)


def _secret_forms(secret):
    return {secret, base64.b64encode(secret.encode()).decode()}


class Cli:
    """The ``dcmanager`` command with a fixed environment and leading arguments.

    ``env``: environment variables (on top of PATH, HOME, LANG); ``args``: arguments put before
    each run's own (e.g. ``--dcmanager-url``); ``secrets``: strings that must never appear in
    any output; ``home``: HOME and the working directory of every run.
    """

    def __init__(self, home, env=None, args=(), secrets=()):
        self.home = str(home)
        self.env = dict(env or {})
        self.args = list(args)
        self.secrets = set()
        for secret in secrets:
            self.secrets |= _secret_forms(secret)
        os.makedirs(self.home, exist_ok=True)

    def derive(self, env=None, args=None, secrets=(), drop_env=()):
        """Another Cli: this one's environment updated with ``env`` (minus ``drop_env``), its
        arguments replaced by ``args`` if given, its secrets plus ``secrets``."""
        other = Cli(self.home, dict(self.env, **(env or {})),
                    self.args if args is None else args)
        for name in drop_env:
            other.env.pop(name, None)
        other.secrets = set(self.secrets)
        for secret in secrets:
            other.secrets |= _secret_forms(secret)
        return other

    def environment(self, extra=None):
        env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'HOME': self.home,
               'LANG': 'C.UTF-8'}
        env.update(self.env)
        env.update(extra or {})
        return env

    def __call__(self, *argv, stdin='', env=None, timeout=RUN_TIMEOUT, cwd=None):
        """Run ``dcmanager <args> <argv>``; its Result. ``stdin`` is written to the pipe, which
        is then closed (an empty string: end of file at once)."""
        argv = [str(a) for a in (*self.args, *argv)]
        proc = subprocess.Popen([SCRIPT, *argv], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.environment(env), cwd=cwd or self.home,
                                text=True, start_new_session=True)
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise AssertionError('dcmanager %s did not end within %s s\n%s\n%s' % (
                ' '.join(argv), timeout, out, err)) from None
        result = Result(proc.returncode, out, err, argv)
        for secret in self.secrets:
            assert secret not in out and secret not in err, \
                'a secret was printed by dcmanager %s' % argv[len(self.args):]
        return result


# ------------------------------------------------------------------ parsers

def _cells(line):
    return [cell.strip() for cell in line.strip()[1:-1].split('|')]


def table(text):
    """A cliff table: (header, rows), each row a list of cells. A row whose first cell is empty
    continues the previous one (a value wrapped over several lines): its cells are joined to
    the previous row's with a newline."""
    lines = [line for line in text.splitlines() if line.startswith('|')]
    assert lines, 'not a table:\n%s' % text
    border = [line for line in text.splitlines() if line.startswith('+')]
    assert len(border) == 3, 'not one table:\n%s' % text
    header, rows = _cells(lines[0]), []
    for line in lines[1:]:
        cells = _cells(line)
        assert len(cells) == len(header), 'row of %d cells under %d columns:\n%s' % (
            len(cells), len(header), text)
        if rows and cells[0] == '' and any(cells[1:]):
            rows[-1] = [('%s\n%s' % (old, new)).strip('\n') if new else old
                        for old, new in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    return header, rows


def table_dicts(text):
    """A Lister's table as a list of {column: cell}."""
    header, rows = table(text)
    return [dict(zip(header, row, strict=True)) for row in rows]


def show_table(text):
    """A ShowOne's table (Field | Value) as an ordered dict {field: value}."""
    header, rows = table(text)
    assert header == ['Field', 'Value'], header
    return {field: value for field, value in rows}


def value_lines(text):
    """``-f value``: its lines."""
    return text.splitlines()


def csv_rows(text):
    """``-f csv``: (header, rows)."""
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def yaml_doc(text):
    return yaml.safe_load(text)


SHELL_LINE = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"$')


def shell_vars(text):
    """``-f shell``: {variable: value}, each line ``name="value"`` (``\\"`` unescaped)."""
    found = {}
    for line in text.splitlines():
        match = SHELL_LINE.match(line)
        assert match, 'not a shell assignment: %r' % line
        found[match.group(1)] = match.group(2).replace('\\"', '"')
    return found
