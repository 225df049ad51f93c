"""What the CLI says when something fails: one line, no traceback (cliff prints the message).

``CommandError`` is every failure the CLI reports itself (an API error, an unreachable or silent
server, a bad local input, a cancelled confirmation); cliff's ``App`` logs its text as
``ERROR (app) <message>`` and the command exits 1. ``api_message`` is the reference client's
rule for the text of an API error, kept so that the same server page prints the same line;
``network_reason`` turns the chain of a requests/urllib3/keystoneauth exception into a few words
(``connection refused``) instead of the nested repr of each layer.
"""

import errno
import html.parser
import json
import socket
import ssl

EMPTY_500 = ('The server has either erred or is incapable of performing the requested '
             'operation.')


class CommandError(Exception):
    """A failure to report as one ``ERROR (app)`` line, exit 1."""


class Cancelled(CommandError):
    def __init__(self):
        super().__init__('Cancelled: nothing was changed')


class _BodyText(html.parser.HTMLParser):
    """The text inside ``<body>``, as BeautifulSoup's ``body.get_text()`` gives it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_body = False
        self.seen_body = False
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag == 'body':
            self.in_body = self.seen_body = True

    def handle_endtag(self, tag):
        if tag == 'body':
            self.in_body = False

    def handle_data(self, data):
        if self.in_body:
            self.parts.append(data)


def _html_message(body):
    """The reference's rule for an HTML error page, or None when the body has no ``<body>``:
    the second non-blank line (the first if alone) ending in a period, then ``Details:`` and the
    lines after it."""
    parser = _BodyText()
    try:
        parser.feed(body)
        parser.close()
    except Exception:  # html.parser is lenient; anything it still refuses is not a page
        return None
    if not parser.seen_body:
        return None
    lines = [line.strip() for line in ''.join(parser.parts).splitlines() if line.strip()]
    if not lines:
        return None
    message = lines[1] if len(lines) > 1 else lines[0]
    if not message.endswith('.'):
        message += '.'
    if len(lines) > 2:
        message += '\nDetails: ' + ' '.join(lines[2:])
    return message


def _json_message(body):
    """The ``description`` of this server's JSON error (or the ``message`` of an OpenStack
    ``{"error": {...}}`` body, e.g. keystonemiddleware's 401), or None."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get('description'), str) and doc['description']:
        return doc['description']
    error = doc.get('error')
    if isinstance(error, dict) and isinstance(error.get('message'), str) and error['message']:
        return error['message']
    return None


def api_message(status, body):
    """The message for a non-200 answer with ``body`` (text)."""
    if status == 500 and not body.strip():
        return EMPTY_500
    message = _json_message(body) or _html_message(body)
    if message:
        return message
    return body.strip() or 'HTTP %d with an empty body' % status


def _chain(exc):
    """``exc`` and every exception it wraps: causes, contexts, urllib3's ``reason``, and
    exceptions passed as arguments (requests wraps urllib3's MaxRetryError that way)."""
    seen, todo = [], [exc]
    while todo:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or any(current is s for s in seen):
            continue
        seen.append(current)
        todo.extend([current.__cause__, current.__context__, getattr(current, 'reason', None)])
        todo.extend(arg for arg in getattr(current, 'args', ()) if isinstance(arg, BaseException))
    return seen


_ERRNO_REASONS = {
    errno.ECONNREFUSED: 'connection refused',
    errno.ECONNRESET: 'connection reset',
    errno.EHOSTUNREACH: 'no route to host',
    errno.ENETUNREACH: 'network unreachable',
    errno.ETIMEDOUT: 'connection timed out',
}


def network_reason(exc):
    """A few words for why a connection failed (``connection refused``, ``name does not
    resolve``, ``TLS: certificate verify failed ...``)."""
    chain = _chain(exc)
    for e in chain:
        if isinstance(e, ssl.SSLCertVerificationError):
            return 'TLS: certificate verify failed (%s)' % (e.verify_message or e.reason)
    for e in chain:
        if isinstance(e, ssl.SSLError):
            return 'TLS: %s' % (e.reason or e.strerror or e)
    for e in chain:
        if isinstance(e, socket.gaierror):
            return 'name does not resolve'
    for e in chain:
        if isinstance(e, OSError) and e.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[e.errno]
    for e in chain:
        if isinstance(e, OSError) and e.strerror:
            return e.strerror.lower()
    text = str(chain[-1]) if chain else str(exc)
    return ' '.join(text.split()) or type(exc).__name__
