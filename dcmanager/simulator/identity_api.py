"""The Keystone v3 subset a system controller needs from a subcloud's identity port.

Enough for keystoneauth1 (``v3.Password``, ``v3.Token``, the generic ``identity.Password`` with
version discovery, ``Session`` with its 401 re-authentication) and keystonemiddleware-style token
validation to work unchanged: version documents, ``POST /v3/auth/tokens`` (password or token method,
project-scoped or unscoped) and ``GET``/``HEAD /v3/auth/tokens``. One user (``admin``), one project
(``admin``), one role (``admin``), all in the ``default`` domain.
"""

import json

from dcmanager.simulator import http, identity

DEFAULT_DOMAIN = {'id': 'default', 'name': 'Default'}
MEDIA_TYPES = [{'base': 'application/json',
                'type': 'application/vnd.openstack.identity-v3+json'}]
UPDATED = '2024-04-01T00:00:00Z'
ADMIN = 'admin'


def route(subcloud, request):
    path = request.path.rstrip('/') or '/'
    method = request.method
    if path == '/v3/auth/tokens':
        if method == 'POST':
            return issue_token(subcloud, request)
        if method in ('GET', 'HEAD'):
            return validate_token(subcloud, request)
    elif path == '/v3':
        if method in ('GET', 'HEAD'):
            return http.json_response(200, {'version': version_document(subcloud)})
    elif path == '/':
        if method in ('GET', 'HEAD'):
            return http.json_response(300, {'versions': {'values': [version_document(subcloud)]}})
    else:
        raise http.HttpError(404, 'The resource could not be found.')
    raise http.HttpError(405, 'The method %s is not allowed for %s.' % (method, path))


def version_document(subcloud):
    return {'id': 'v3.14', 'status': 'stable', 'updated': UPDATED, 'media-types': MEDIA_TYPES,
            'links': [{'rel': 'self', 'href': subcloud.identity_url + '/v3/'}]}


def unauthorized(subcloud, message='The request you have made requires authentication.'):
    return http.HttpError(401, message, (('WWW-Authenticate',
                                          'Keystone uri="%s"' % subcloud.identity_url),))


def authenticate(subcloud, request):
    """The payload of the request's valid X-Auth-Token; raise HttpError(401) otherwise."""
    token = request.headers.get('x-auth-token')
    if not token:
        raise unauthorized(subcloud)
    try:
        return identity.verify(subcloud.keys, subcloud.region_name, token)
    except identity.InvalidToken:
        raise unauthorized(subcloud) from None


def issue_token(subcloud, request):
    body = request.json()
    try:
        auth = body['auth']
        methods = auth['identity']['methods']
        if not isinstance(methods, list) or not methods:
            raise TypeError
        scope = auth.get('scope')
    except (KeyError, TypeError):
        raise http.HttpError(400, 'Expecting {"auth": {"identity": {"methods": [...]}}}') from None
    if 'password' in methods:
        _check_password(subcloud, auth['identity'].get('password'))
    elif 'token' in methods:
        _check_token_method(subcloud, auth['identity'].get('token'))
    else:
        raise unauthorized(subcloud, 'Unsupported authentication method.')
    project_id = _scope(subcloud, scope)
    token, payload = identity.issue(subcloud.keys, subcloud.region_name, subcloud.user_id,
                                    project_id, methods, subcloud.settings['token_lifetime'])
    subcloud.counters['token_posts_ok'] += 1
    return http.Response(201, token_body(subcloud, payload), (('X-Subject-Token', token),))


def validate_token(subcloud, request):
    authenticate(subcloud, request)
    subject = request.headers.get('x-subject-token')
    if not subject:
        raise http.HttpError(400, 'X-Subject-Token is required.')
    try:
        payload = identity.verify(subcloud.keys, subcloud.region_name, subject)
    except identity.InvalidToken as e:
        raise http.HttpError(404, 'Could not find token: %s (%s).' % (subject[:16], e)) from None
    with_catalog = 'nocatalog' not in request.query
    return http.Response(200, token_body(subcloud, payload, with_catalog),
                         (('X-Subject-Token', subject),))


def token_body(subcloud, payload, with_catalog=True):
    """The encoded ``{"token": ...}`` body. The part that never changes for a subcloud (user,
    project, roles, catalog) is encoded once and cached: it is most of the bytes."""
    head = json.dumps({'methods': payload['m'], 'audit_ids': [payload['a']],
                       'issued_at': identity.isotime(payload['i']),
                       'expires_at': identity.isotime(payload['e'])}, separators=(',', ':'))
    key = (bool(payload['p']), with_catalog)
    tail = subcloud.token_cache.get(key)
    if tail is None:
        tail = subcloud.token_cache[key] = _static_part(subcloud, *key)
    return ('{"token":' + head[:-1] + ',' + tail + '}}').encode()


def _static_part(subcloud, scoped, with_catalog):
    token = {'user': {'id': subcloud.user_id, 'name': ADMIN, 'domain': DEFAULT_DOMAIN,
                      'password_expires_at': None}}
    if scoped:
        token['project'] = {'id': subcloud.project_id, 'name': ADMIN, 'domain': DEFAULT_DOMAIN}
        token['is_domain'] = False
        token['roles'] = [{'id': subcloud.role_id, 'name': ADMIN}]
        if with_catalog:
            token['catalog'] = catalog(subcloud)
    return json.dumps(token, separators=(',', ':'))[1:-1]


def catalog(subcloud):
    return [_service(subcloud, 'identity', 'keystone', subcloud.identity_url + '/v3'),
            _service(subcloud, 'dcagent', 'dcagent', subcloud.agent_url)]


def _service(subcloud, kind, name, url):
    region = subcloud.region_name
    return {'type': kind, 'name': name, 'id': '%s-%s' % (kind, region[:8]),
            'endpoints': [{'id': '%s-%s-%s' % (kind, interface, region[:8]),
                           'interface': interface, 'region': region, 'region_id': region,
                           'url': url} for interface in ('public', 'internal', 'admin')]}


def _domain_ok(domain):
    if not isinstance(domain, dict):
        return False
    if 'id' in domain:
        return domain['id'] == 'default'
    return str(domain.get('name', '')).lower() == 'default'


def _check_password(subcloud, password):
    user = password.get('user') if isinstance(password, dict) else None
    if not isinstance(user, dict):
        raise http.HttpError(400, 'Expecting password.user')
    if 'id' in user:
        known = user['id'] == subcloud.user_id
    else:
        known = user.get('name') == ADMIN and _domain_ok(user.get('domain'))
    if not known or user.get('password') != subcloud.settings['admin_password']:
        raise unauthorized(subcloud)


def _check_token_method(subcloud, token):
    if not isinstance(token, dict) or not isinstance(token.get('id'), str):
        raise http.HttpError(400, 'Expecting token.id')
    try:
        identity.verify(subcloud.keys, subcloud.region_name, token['id'])
    except identity.InvalidToken:
        raise unauthorized(subcloud) from None


def _scope(subcloud, scope):
    """The scoped project id, None when unscoped; 401 for anything but the admin project."""
    if not scope:
        return None
    project = scope.get('project') if isinstance(scope, dict) else None
    if not isinstance(project, dict):
        raise unauthorized(subcloud, 'Only project scope is supported by the simulator.')
    if 'id' in project:
        ok = project['id'] == subcloud.project_id
    else:
        ok = project.get('name') == ADMIN and _domain_ok(project.get('domain'))
    if not ok:
        raise unauthorized(subcloud, 'The project is not known to this subcloud.')
    return subcloud.project_id
