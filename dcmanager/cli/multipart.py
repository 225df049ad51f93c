"""The ``multipart/form-data`` bodies of the subcloud commands, as the reference client sends
them (requests-toolbelt's MultipartEncoder): a text field is a part ``form-data;
name="<field>"`` with no Content-Type of its own; a file is a part with ``filename="<the path
exactly as typed>"`` holding the file's raw bytes.

Written here rather than with ``requests``' ``files=``: requests sends a form without files
(manage, unmanage) urlencoded, not as multipart, and the server would see another body.
"""

import os
import uuid

from dcmanager.cli import errors


def _quote(value):
    # What requests-toolbelt (urllib3's HTML5 rule) does to a name: escape the quote, and
    # line breaks that would end the header.
    return (value.replace('\\', '\\\\').replace('"', '%22')
            .replace('\r', '%0D').replace('\n', '%0A'))


class Form:
    """Fields and files in the order they were added."""

    def __init__(self, boundary=None):
        self.boundary = boundary or uuid.uuid4().hex
        self.parts = []

    def field(self, name, value):
        self.parts.append((name, None, str(value).encode('utf-8')))
        return self

    def file(self, name, path, what=None):
        """The file at ``path`` as part ``name``; CommandError ``<what> does not exist: <path>``
        when it is not a readable file."""
        what = what or name.replace('_', '-')
        if not os.path.isfile(path):
            raise errors.CommandError('%s does not exist: %s' % (what, path))
        try:
            with open(path, 'rb') as f:
                content = f.read()
        except OSError as e:
            raise errors.CommandError('Cannot read %s %s: %s' % (what, path, e.strerror)) \
                from None
        self.parts.append((name, path, content))
        return self

    def names(self):
        return [name for name, _, _ in self.parts]

    def encode(self):
        """(body bytes, Content-Type header)."""
        out = []
        for name, filename, content in self.parts:
            disposition = 'form-data; name="%s"' % _quote(name)
            if filename is not None:
                disposition += '; filename="%s"' % _quote(filename)
            out.append(b'--%s\r\nContent-Disposition: %s\r\n\r\n' % (
                self.boundary.encode(), disposition.encode('utf-8')))
            out.append(content)
            out.append(b'\r\n')
        out.append(b'--%s--\r\n' % self.boundary.encode())
        return b''.join(out), 'multipart/form-data; boundary=%s' % self.boundary
