"""Request validation: JSON Schema next to each controller, with the messages the CLI expects.

The real CLI sends numbers typed on its command line as strings
(``"max_parallel_subclouds": "3"``) and argparse defaults as integers, so a property declared
``integer`` also accepts a string of digits; ``validate`` converts it before checking ranges.
"""

import functools
import re

import jsonschema

from dcmanager.common import exception, integers


@functools.cache
def _ecma_regex(pattern):
    """``pattern`` compiled with ECMA-262's meaning of ``$``, the end of the text: JSON Schema's
    patterns are ECMA-262 regular expressions, and Python's ``$`` also matches before a final
    newline (``^[a-z]+$`` would accept "name\\n")."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == '\\':
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != ']'
        elif char == '[':
            in_class = True
        elif char == '$':
            char = r'\Z'
        out.append(char)
        i += 1
    return re.compile(''.join(out))


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, 'string') and not _ecma_regex(pattern).search(instance):
        yield jsonschema.ValidationError('%r does not match %r' % (instance, pattern))


_VALIDATOR = jsonschema.validators.extend(jsonschema.Draft202012Validator,
                                          {'pattern': _pattern})


def _coerce_integers(schema, body):
    for name, prop in schema.get('properties', {}).items():
        value = body.get(name)
        if prop.get('type') == 'integer' and isinstance(value, str):
            number = integers.parse(value)
            if number is not None:
                body[name] = number


def has_surrogates(value):
    """Whether any text in ``value`` (a key or a value, at any depth) holds a lone surrogate
    (JSON ``"\\ud800"``): not text UTF-8 can encode, so not something to store, log or echo."""
    if isinstance(value, str):
        try:
            value.encode('utf-8')
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(has_surrogates(k) or has_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_surrogates(v) for v in value)
    return False


def _reject_surrogates(body, messages):
    # Checked here for every field, rather than as a schema pattern: no regular expression
    # engine of the test generators reads a surrogate range. A mapping (bootstrap values) is
    # checked by its own validate, which names the field inside it.
    for name, value in body.items():
        if isinstance(value, dict):
            value = list(value)
        if has_surrogates(name):
            raise exception.InvalidInput(reason='Unexpected field: %s' % name.encode(
                'utf-8', 'backslashreplace').decode('ascii', 'backslashreplace'))
        if has_surrogates(value):
            reason = messages.get(name, '%s invalid' % name).split(':', 1)[0]
            raise exception.InvalidInput(reason='%s: %s' % (reason, PRINTABLE))


def validate(schema, body, messages):
    """Check ``body`` against ``schema``; InvalidInput with the property's message on failure.

    ``messages`` maps a property name to the text the reference API answers for it; an unknown
    property or a missing required one gets a message naming it. Returns the coerced body.
    """
    body = dict(body)
    _reject_surrogates(body, messages)
    _coerce_integers(schema, body)
    error = jsonschema.exceptions.best_match(_VALIDATOR(schema).iter_errors(body))
    if error is None:
        return body
    if error.validator == 'required':
        missing = [name for name in schema.get('required', []) if name not in body]
        raise exception.InvalidInput(reason='%s required' % (missing[0] if missing else 'field'))
    if error.validator == 'additionalProperties':
        extra = sorted(set(body) - set(schema.get('properties', {})))
        raise exception.InvalidInput(reason='Unexpected field: %s' % ', '.join(extra))
    if error.validator == 'minProperties':
        raise exception.InvalidInput(reason='nothing to update')
    name = error.absolute_path[0] if error.absolute_path else None
    message = messages.get(name, error.message)
    rule = error.schema.get('description') if isinstance(error.schema, dict) else None
    if rule:
        # A rule with its own explanation: the property's message names the field, the rule
        # says what is wrong ("Invalid group name: no space at the beginning or the end").
        message = '%s: %s' % (message.split(':', 1)[0], rule)
    raise exception.InvalidInput(reason=message)


# Reusable property definitions

def integer(minimum, maximum=integers.INT_MAX):
    """An integer property; never above what the database's INTEGER columns hold."""
    return {'type': 'integer', 'minimum': minimum, 'maximum': maximum}


# The id of a row (ids start at 1).
ID = integer(1)
# A resource named by id or by name, as the CLI sends what was typed; a string of digits is an id.
REF = {'anyOf': [{'type': 'string', 'minLength': 1, 'maxLength': 255}, ID]}

# Names and texts.
#
# Characters no name or text may hold: C0 and C1 controls (a newline forges a log line, NUL and tab
# break the CLI's tables), the bidirectional embeddings, overrides and isolates and the marks
# (U+202E makes a name read backwards), line and paragraph separators, invisible zero-width
# characters and byte order marks, non-characters, and lone surrogates (checked apart, for every
# field: UTF-8 cannot encode them and the database refused them with a 500). Written with escapes
# that mean the same to Python's re and to ECMA-262, so that the OpenAPI document carries the
# same rule.
UNPRINTABLE = (r'\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069'
               r'\ufeff\ufff9-\ufffb\ufffe\uffff')
# Each rule's description is both its documentation and the reason given in a 400.
PRINTABLE = ('printable characters only (no control, bidirectional, zero-width or '
             'line-separator characters)')
# Lone surrogates are refused for every field by validate (see _reject_surrogates).
PRINTABLE_RULES = [{'pattern': '^[^%s]*$' % UNPRINTABLE, 'description': PRINTABLE}]
TRIMMED_RULE = {'pattern': r'^(\S(.*\S)?)?$',
                'description': 'no space at the beginning or the end'}
# A name is a path segment, typed unescaped by the CLI: '/' and '\\' would split it, '?' and '#'
# end it, '%' starts an escape.
SEGMENT_RULE = {'pattern': r'^[^/\\?#%]*$',
                'description': 'none of / \\ ? # %'}

# Every name (subclouds, groups, and the peer groups and system peers to come): printable,
# trimmed, a path segment, 1 to 255 characters, not only digits (a reference of digits is an id).
NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255,
        'allOf': [*PRINTABLE_RULES, TRIMMED_RULE, SEGMENT_RULE,
                  {'not': {'pattern': '^[0-9]+$'}}]}

# validate_name of the reference (groups, peer groups, system peers): a NAME without any of the
# regular-expression characters . * + ? | ( ) [ ] { } ^ $
REFERENCE_NAME = {'allOf': [NAME, {'pattern': r'^[^.*+?|()\[\]{}^$]*$'}]}


def text(max_length=255, min_length=0):
    """A free text (descriptions, locations): printable, spaces allowed anywhere."""
    return {'type': 'string', 'minLength': min_length, 'maxLength': max_length,
            'allOf': PRINTABLE_RULES}


DESCRIPTION = text(min_length=1)
