"""The OpenAPI 3.1 document of the API, generated from the controllers and their JSON Schemas.

Nothing here is written by hand per route: ``document`` walks the controller tree from the root
(every sub-controller, every handler pecan's REST routing serves), takes each path and its
parameters from the handlers' signatures (``get_one(self, group_ref)`` under
``/v1.0/subcloud-groups`` is ``GET /v1.0/subcloud-groups/{group_ref}``) and each request and
response schema from the ``operation`` declaration next to the handler, which names the very
schemas the handler validates with. A handler that is served but not declared makes
``document`` fail (and so its test), so the document cannot fall behind the API.

OpenAPI 3.1 because its schemas are JSON Schema 2020-12, the dialect the API validates with:
the schemas go in unchanged.
"""

import copy
import inspect

from pecan import rest

from dcmanager import version
from dcmanager.api.controllers import base

OPENAPI_VERSION = '3.1.0'
# pecan's REST routing: HTTP method -> handler names, collection first.
_HANDLERS = (('get', ('get_all', 'get_one')), ('post', ('post',)), ('put', ('put',)),
             ('patch', ('patch',)), ('delete', ('delete',)))
_DECLARATION = '_dcmanager_openapi'
# The handlers of a collection's own URL; the others (get_one, put, patch, delete) take one
# more path argument, the item's.

ERROR = {
    'type': 'object',
    'description': 'With Accept: application/json; the CLI (Accept: */*) gets the same message '
                   'in an HTML page.',
    'properties': {'code': {'type': 'integer'}, 'title': {'type': 'string'},
                   'description': {'type': 'string'}, 'error': {'type': 'string'}},
    'required': ['code', 'title', 'description', 'error'],
}


class Undocumented(Exception):
    """A handler the API serves has no ``operation`` declaration."""


def operation(summary, body=None, query=None, forms=(), response=None):
    """Declare what a handler takes and answers, for the OpenAPI document.

    ``body``: the JSON Schema its request body is validated with; ``forms``: the names of the
    body's fields that may also come as files of a ``multipart/form-data`` body (the CLI's
    way), in which case that content type is documented too; ``query``: the JSON Schema of its
    query string (an object schema: one parameter per property); ``response``: the JSON Schema
    of a 200 answer.
    """
    def declare(handler):
        setattr(handler, _DECLARATION, {'summary': summary, 'body': body, 'query': query,
                                        'forms': tuple(forms), 'response': response})
        return handler
    return declare


def _positional(handler):
    return [p.name for p in inspect.signature(handler).parameters.values()
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]


def _served(controller):
    """(http method, handler) of the handlers ``controller`` itself defines (handlers inherited
    from a base class of the project's are its 404/405 answers, not routes)."""
    for method, names in _HANDLERS:
        for name in names:
            handler = getattr(controller, name, None)
            if handler is None or not hasattr(handler, '_pecan'):
                continue
            owner = next(k for k in type(controller).__mro__ if name in vars(k))
            if owner.__module__ != base.__name__:
                yield method, handler


def _children(controller):
    for name in sorted(dir(type(controller))):
        if name.startswith('_'):
            continue
        child = getattr(controller, name, None)
        if isinstance(child, rest.RestController):
            yield name, child


def _mount_refs(parent, refs):
    """The path parameters a sub-controller's own URL adds after its parent's. pecan looks for a
    sub-controller's name right after the ids its parent's ``get_one`` takes
    (``/subclouds/<ref>/detail``, ``/subcloud-groups/<group_ref>/subclouds``) and hands them to
    the sub-controller's handlers; a parent without ``get_one`` mounts it right below itself."""
    get_one = getattr(parent, 'get_one', None)
    if get_one is None or not hasattr(get_one, '_pecan'):
        return []
    return _positional(get_one)[len(refs):]


def _walk(controller, prefix, refs):
    """(path, http method, handler, path parameters) of every route below ``controller``."""
    for method, handler in _served(controller):
        extra = _positional(handler)[len(refs):]
        yield (prefix + ''.join('/{%s}' % name for name in extra) or '/', method, handler,
               refs + extra)
    for name, child in _children(controller):
        extra = _mount_refs(controller, refs)
        mount = prefix + ''.join('/{%s}' % ref for ref in extra) + '/' + name
        yield from _walk(child, mount, refs + extra)


def _multipart(schema, files):
    """``schema`` as multipart/form-data carries it: text fields, the ``files`` as YAML text."""
    form = copy.deepcopy(schema)
    for name in files:
        # Plain strings: a text part is read as YAML like a file part is.
        form['properties'][name] = {'type': 'string', 'description': 'a YAML document'}
    return form


def _operation(handler, method, params):
    declared = getattr(handler, _DECLARATION, None)
    if declared is None:
        raise Undocumented('%s.%s serves %s but has no openapi.operation declaration'
                           % (type(handler.__self__).__name__, handler.__name__, method.upper()))
    op = {'summary': declared['summary'],
          'operationId': '%s.%s' % (type(handler.__self__).__name__, handler.__name__),
          'parameters': [{'name': name, 'in': 'path', 'required': True,
                          'description': 'an id (ASCII digits) or a name',
                          'schema': {'type': 'string', 'minLength': 1}} for name in params]}
    query = declared['query']
    for name, prop in (query or {}).get('properties', {}).items():
        op['parameters'].append({'name': name, 'in': 'query', 'required': False,
                                 'schema': prop})
    if declared['body'] is not None:
        content = {'application/json': {'schema': declared['body']}}
        if declared['forms']:
            content['multipart/form-data'] = {
                'schema': _multipart(declared['body'], declared['forms'])}
        op['requestBody'] = {'required': True, 'content': content}
    ok = {'description': 'Success (every success is 200, as the CLI requires).'}
    if declared['response'] is not None:
        ok['content'] = {'application/json': {'schema': declared['response']}}
    op['responses'] = {'200': ok, 'default': {
        'description': 'An error: 4xx for a bad request, never a state change.',
        'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}}}
    op['security'] = [{}, {'keystone': []}]
    return op


def routes(root):
    """[(path, http method)] of every route the API rooted at ``root`` serves, sorted."""
    return sorted((path, method) for path, method, _h, _p in _walk(root, '', []))


def _link(created, params):
    """The link from a create to an operation on what it created: the new row's id for the
    last path parameter, the create's own path parameters for the others."""
    values = {name: '$request.path.%s' % name for name in params[:-1]}
    values[params[-1]] = '$response.body#/id'
    return {'operationId': created['operationId'], 'parameters': values}


def _add_links(operations):
    """Links (for stateful testing) from each create (POST of a collection) to the operations
    on the item it created (``<collection>/{ref}`` and below it)."""
    for path, method, params, op in operations:
        if method != 'post':
            continue
        links = {}
        for other_path, _method, other_params, other_op in operations:
            if other_path.startswith(path + '/{') and len(other_params) == len(params) + 1:
                links[other_op['operationId']] = _link(other_op, other_params)
        if links:
            op['responses']['200']['links'] = links


def document(root):
    """The OpenAPI document (a dict) of the API rooted at ``root`` (a RootController)."""
    paths = {}
    operations = []
    for path, method, handler, params in _walk(root, '', []):
        op = _operation(handler, method, params)
        operations.append((path, method, params, op))
        paths.setdefault(path, {})[method] = op
    _add_links(operations)
    return {
        'openapi': OPENAPI_VERSION,
        'info': {'title': 'dcmanager', 'version': version.version_string,
                 'description': 'The distributed-cloud manager API (StarlingX dcmanager v1.0 '
                                'compatible). Generated from the controllers and the JSON '
                                'Schemas they validate requests with.'},
        'paths': dict(sorted(paths.items())),
        'components': {
            'schemas': {'Error': ERROR},
            'securitySchemes': {'keystone': {
                'type': 'apiKey', 'in': 'header', 'name': 'X-Auth-Token',
                'description': 'A Keystone token (auth_strategy = keystone); none with '
                               'noauth.'}},
        },
    }
