"""Request bodies: a JSON object, or ``multipart/form-data`` as the CLI sends subcloud calls.

Each fault of a body gets its own 400 message (not JSON, not an object, no fields, not UTF-8, no
multipart boundary or no part with it, nested too deeply). Only an empty body is "Body
required". Documents (JSON or YAML) nest at most ``MAX_DEPTH`` levels: deeper ones are refused
before anything recurses over them.

The CLI (requests-toolbelt's MultipartEncoder) sends text fields as parts without a Content-Type
and files as parts with ``filename="<path as typed>"`` holding raw bytes. ``read`` gives one dict
either way: text fields as str; the YAML files named by the caller parsed (from a file part, from a
text part, or, in a JSON body, from a string or an object); any other file only as ``File`` (its
name and size: its content is not read).

YAML is parsed safely (no Python objects) and without aliases, whose expansion could turn a small
file into a huge document; a parse error names the line and column, never the text (it could be
a password line).
"""

import dataclasses
import email.message
import json

import yaml

from dcmanager.common import exception

MAX_FILE_BYTES = 1024 * 1024
# Far more than any request needs (bootstrap and install values nest a few levels), far less
# than what would exhaust Python's recursion limit in a parser, a validator or a serializer.
MAX_DEPTH = 32
_FORM_TYPES = ('multipart/form-data', 'application/x-www-form-urlencoded')
# What webob puts in place of bytes of a form field that are not UTF-8.
_REPLACEMENT = '\ufffd'


@dataclasses.dataclass(frozen=True)
class File:
    """A file part that was not read: its name as the client gave it and its size."""

    filename: str
    size: int


def _too_deep(what):
    return exception.InvalidInput(reason='%s is nested more than %d levels deep'
                                  % (what, MAX_DEPTH))


class _TooDeep(yaml.composer.ComposerError):
    pass


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (``*name``) and nesting beyond MAX_DEPTH (the composer
    recurses once per level)."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, 'aliases are not allowed',
                                              event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise _TooDeep(None, None, 'too deep', self.peek_event().start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_yaml(text, field):
    """The document in ``text``; InvalidInput naming ``field`` (and where) if it does not parse."""
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except _TooDeep:
        raise _too_deep(field) from None
    except yaml.YAMLError as e:
        mark = getattr(e, 'problem_mark', None)
        where = (' (line %d, column %d)' % (mark.line + 1, mark.column + 1)) if mark else ''
        raise exception.InvalidInput(reason='%s is not a valid YAML file%s' % (field, where)) \
            from None


def _depth(document):
    """How many levels of objects and arrays ``document`` nests (without recursing), counted up
    to one beyond MAX_DEPTH."""
    deepest = 0
    pending = [(document, 1)]
    while pending and deepest <= MAX_DEPTH:
        value, level = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, level)
        pending.extend((child, level + 1) for child in value)
    return deepest


def json_object(request):
    """The request body as a dict (a JSON object with at least one field); BodyRequired when the
    body is empty, InvalidInput saying what is wrong with any other body."""
    raw = request.body
    if not raw.strip():
        raise exception.BodyRequired()
    try:
        text = raw.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        raise exception.InvalidInput(
            reason='The request body is not valid UTF-8 (byte offset %d)' % e.start) from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as e:
        # e.msg never quotes the body (which may hold a password); the position is enough.
        raise exception.InvalidInput(reason='The request body is not valid JSON: %s (line %d, '
                                     'column %d)' % (e.msg, e.lineno, e.colno)) from None
    except RecursionError:
        raise _too_deep('The request body') from None
    if not isinstance(body, dict):
        raise exception.InvalidInput(reason='The request body must be a JSON object')
    if _depth(body) > MAX_DEPTH:
        raise _too_deep('The request body')
    if not body:
        raise exception.InvalidInput(reason='No fields given')
    return body


def _read_part(value, field):
    data = value.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise exception.InvalidInput(reason='%s is larger than %d bytes' % (field,
                                                                           MAX_FILE_BYTES))
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        raise exception.InvalidInput(reason='%s is not UTF-8 text' % field) from None


def _file_size(value):
    value.file.seek(0, 2)
    return value.file.tell()


def _form_items(request):
    """The fields of a form body, as webob parses them, once its declared format is checked."""
    header = email.message.Message()
    header['Content-Type'] = request.headers.get('Content-Type', '')
    params = dict(header.get_params(failobj=[])[1:])
    charset = params.get('charset', 'utf-8').lower()
    if charset not in ('utf-8', 'utf8'):
        raise exception.InvalidInput(reason='A form body must be UTF-8; the Content-Type '
                                     'declares another charset')
    multipart = request.content_type == 'multipart/form-data'
    if multipart and not params.get('boundary'):
        raise exception.InvalidInput(reason='The multipart body has no boundary: send '
                                     'Content-Type: multipart/form-data; boundary=...')
    if not request.body:
        raise exception.BodyRequired()
    try:
        items = list(request.POST.items())
    except (ValueError, TypeError, KeyError, IndexError):
        raise exception.InvalidInput(reason='The multipart body cannot be read') from None
    if not items and multipart:
        # The boundary passed webob's check: printable ASCII, as the client declared it.
        raise exception.InvalidInput(reason='The multipart body has no part with the '
                                     'boundary %s' % params['boundary'])
    if not items:
        raise exception.InvalidInput(reason='No fields given')
    return items


def _from_form(request, yaml_fields):
    body = {}
    for name, value in _form_items(request):
        if not name:
            # webob yields a part without a Content-Disposition name as None
            raise exception.InvalidInput(reason='A part of the multipart body has no name')
        if _REPLACEMENT in name:
            raise exception.InvalidInput(reason='A field name is not valid UTF-8')
        if isinstance(value, str) and _REPLACEMENT in value:
            raise exception.InvalidInput(reason='%s is not valid UTF-8 text' % name)
        if name in body:
            raise exception.InvalidInput(reason='%s is given more than once' % name)
        is_file = hasattr(value, 'file')
        if name in yaml_fields:
            body[name] = load_yaml(_read_part(value, name) if is_file else value, name)
        elif is_file and value.filename:
            body[name] = File(value.filename, _file_size(value))
        elif is_file:
            body[name] = _read_part(value, name)
        else:
            body[name] = value
    return body


def read(request, yaml_fields=()):
    """The body of ``request`` as a dict (see the module docstring); BodyRequired if empty,
    InvalidInput saying what is wrong if it cannot be read."""
    content_type = request.content_type or ''
    if content_type in _FORM_TYPES:
        return _from_form(request, yaml_fields)
    if content_type == 'application/json' or content_type.endswith('+json') \
            or not content_type:
        body = json_object(request)
        for name in yaml_fields:
            if isinstance(body.get(name), str):
                body[name] = load_yaml(body[name], name)
        return body
    if not request.body:
        raise exception.BodyRequired()
    raise exception.InvalidInput(
        reason='Unsupported Content-Type %s: send multipart/form-data or application/json'
        % content_type)
