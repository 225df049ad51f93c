"""Request validation: JSON Schema next to each controller, with the messages the CLI expects.

The real CLI sends numbers typed on its command line as strings
(``"max_parallel_subclouds": "3"``) and argparse defaults as integers, so a property declared
``integer`` also accepts a string of digits; ``validate`` converts it before checking ranges.
"""

import json

import jsonschema

from dcmanager.common import exception, integers

_VALIDATOR = jsonschema.Draft202012Validator


def parse_json_body(request):
    """The request body as a dict; BodyRequired when it is empty, not JSON or not an object."""
    raw = request.body
    if not raw or not raw.strip():
        raise exception.BodyRequired()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise exception.BodyRequired() from None
    if not isinstance(body, dict) or not body:
        raise exception.BodyRequired()
    return body


def _coerce_integers(schema, body):
    for name, prop in schema.get('properties', {}).items():
        value = body.get(name)
        if prop.get('type') == 'integer' and isinstance(value, str):
            number = integers.parse(value)
            if number is not None:
                body[name] = number


def validate(schema, body, messages):
    """Check ``body`` against ``schema``; InvalidInput with the property's message on failure.

    ``messages`` maps a property name to the text the reference API answers for it; an unknown
    property or a missing required one gets a message naming it. Returns the coerced body.
    """
    body = dict(body)
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
    raise exception.InvalidInput(reason=messages.get(name, error.message))


# Reusable property definitions

def integer(minimum, maximum=integers.INT_MAX):
    """An integer property; never above what the database's INTEGER columns hold."""
    return {'type': 'integer', 'minimum': minimum, 'maximum': maximum}


# The id of a row (ids start at 1).
ID = integer(1)
# A resource named by id or by name, as the CLI sends what was typed; a string of digits is an id.
REF = {'anyOf': [{'type': 'string', 'minLength': 1, 'maxLength': 255}, ID]}

# validate_name of the reference: non-empty, at most 255 characters, not all digits (a reference of
# all digits means an id), none of the regular-expression characters . * + ? | ( ) [ ] { } ^ $
NAME = {'type': 'string', 'pattern': r'^(?![0-9]+$)[^.*+?|()\[\]{}^$]{1,255}$'}
DESCRIPTION = {'type': 'string', 'minLength': 1, 'maxLength': 255}
