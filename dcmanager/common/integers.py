"""Integers and references from the wire, parsed in one place.

Ids, counts and page markers reach the API as path segments, query strings, form fields and JSON
strings (the CLI sends ``"3"``). Three traps make this its own module:

- ``str.isdigit()`` accepts characters that are not ASCII digits: ``int('¹')`` raises, and
  ``int('１')`` (full width) is 1, so a group named ``１`` would be taken for the Default group.
  Only ``[0-9]`` is a digit here.
- ``int()`` refuses a string of more than 4300 digits (ValueError): the text is never converted
  when it is longer than any value in range could be.
- The id and count columns are SQL ``INTEGER``: 32 bits on PostgreSQL and MySQL, so a larger value
  must never reach a query (the drivers answer it with an overflow error, a 500).
"""

import re

# The largest value of an SQL INTEGER column (every id and count of the schema).
INT_MAX = 2 ** 31 - 1
# A magnitude with more significant digits than this is out of range whatever its digits.
_MAX_DIGITS = len(str(INT_MAX))
_INTEGER = re.compile(r'(-?)0*([0-9]+)')
_DIGITS = re.compile(r'[0-9]+')


def parse(text):
    """The int ``text`` spells (an optional ``-``, ASCII digits, surrounding whitespace
    ignored), or None when it spells none.

    A magnitude beyond ``INT_MAX`` comes back as ``±(INT_MAX + 1)``: out of range for every
    range check, without converting thousands of digits.
    """
    match = _INTEGER.fullmatch(text.strip())
    if match is None:
        return None
    sign, digits = match.groups()
    value = INT_MAX + 1 if len(digits) > _MAX_DIGITS else min(int(digits), INT_MAX + 1)
    return -value if sign else value


def ref_id(ref):
    """The id a reference names when it is all ASCII digits (a path segment or a field as
    typed: an int or a str); None when it is a name.

    An id beyond the id range is returned as 0, an id no row has (ids start at 1): such a
    reference is simply not found, like any other unknown id.
    """
    text = str(ref)
    if not _DIGITS.fullmatch(text):
        return None
    value = parse(text)
    return value if value <= INT_MAX else 0
