"""Client-provided values in log lines, escaped: a value can never start a line of its own.

Names, descriptions and error messages that quote a request reach log lines as arguments
(``LOG.info('Created subcloud group %(name)s', ...)``). A value holding a newline would write a
second, forged, line; a right-to-left override would make a line read differently from what it
says. ``install()`` puts a log record factory in front of the standard one, once per process: every
argument that is not a number is formatted through ``escape`` (``%s`` and ``%r`` alike), and so
is a message logged without arguments. The message templates themselves are the code's and are
kept as written.
"""

import logging

_INSTALLED = []


def _escape_char(char):
    code = ord(char)
    if code < 0x100:
        return '\\x%02x' % code
    if code < 0x10000:
        return '\\u%04x' % code
    return '\\U%08x' % code


def escape(text):
    """``text`` with every non-printable character (control, format, bidirectional, line and
    paragraph separators, surrogates, non-ASCII spaces) written as a Python escape."""
    if text.isprintable():
        return text
    return ''.join(c if c.isprintable() or c == ' ' else _escape_char(c) for c in text)


class _Escaped:
    """A log argument formatted through ``escape`` by ``%s`` and ``%r``."""

    __slots__ = ('value',)

    def __init__(self, value):
        self.value = value

    def __str__(self):
        return escape(str(self.value))

    def __repr__(self):
        return escape(repr(self.value))


def _safe(value):
    # Numbers (and bool, None) cannot hold text, and %d / %x need them as they are.
    if value is None or isinstance(value, (int, float)):
        return value
    return _Escaped(value)


def escape_record(record):
    """Escape the arguments of ``record`` (a LogRecord) in place; its message too when it has
    no arguments (then it is the text itself, which may come from anywhere)."""
    args = record.args
    if isinstance(args, dict):
        record.args = {key: _safe(value) for key, value in args.items()}
    elif args:
        record.args = tuple(_safe(value) for value in args)
    elif not isinstance(record.msg, str) or not record.msg.isprintable():
        record.msg = escape(str(record.msg))
    return record


def install():
    """Escape every log record of this process from now on (idempotent)."""
    if _INSTALLED:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        return escape_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _INSTALLED.append(factory)
