"""Request bodies of the subcloud calls: ``multipart/form-data`` as the CLI sends it, or JSON.

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

import yaml

from dcmanager.api import schemas
from dcmanager.common import exception

MAX_FILE_BYTES = 1024 * 1024
_FORM_TYPES = ('multipart/form-data', 'application/x-www-form-urlencoded')


@dataclasses.dataclass(frozen=True)
class File:
    """A file part that was not read: its name as the client gave it and its size."""

    filename: str
    size: int


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (``*name``)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, 'aliases are not allowed',
                                              event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(text, field):
    """The document in ``text``; InvalidInput naming ``field`` (and where) if it does not parse."""
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.YAMLError as e:
        mark = getattr(e, 'problem_mark', None)
        where = (' (line %d, column %d)' % (mark.line + 1, mark.column + 1)) if mark else ''
        raise exception.InvalidInput(reason='%s is not a valid YAML file%s' % (field, where)) \
            from None


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


def _from_form(request, yaml_fields):
    try:
        items = list(request.POST.items())
    except (ValueError, TypeError, KeyError):
        raise exception.InvalidInput(reason='The multipart body cannot be read') from None
    body = {}
    for name, value in items:
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
    """The body of ``request`` as a dict (see the module docstring); BodyRequired if empty."""
    content_type = request.content_type or ''
    if content_type in _FORM_TYPES:
        body = _from_form(request, yaml_fields)
        if not body:
            raise exception.BodyRequired()
        return body
    if content_type == 'application/json' or content_type.endswith('+json') \
            or not content_type:
        body = schemas.parse_json_body(request)
        for name in yaml_fields:
            if isinstance(body.get(name), str):
                body[name] = load_yaml(body[name], name)
        return body
    if not request.body:
        raise exception.BodyRequired()
    raise exception.InvalidInput(
        reason='Unsupported Content-Type %s: send multipart/form-data or application/json'
        % content_type)
