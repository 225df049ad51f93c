"""The audit agent port of a simulated subcloud: ``PATCH /v1/dcaudit`` and ``/v1/rehome``.

Both need a valid token of this subcloud (401 otherwise), like the real dcagent behind the
subcloud's Keystone. The audit answer is built from the subcloud's current settings (availability,
alarm counts) so a test can make a subcloud offline or critical through the control API and watch
the audit notice.
"""

from dcmanager.simulator import http, identity_api, rehome


def route(subcloud, request):
    path = request.path.rstrip('/')
    if path == '/v1/dcaudit':
        if request.method == 'PATCH':
            return audit(subcloud, request)
    elif path == '/v1/rehome':
        if request.method == 'POST':
            return start_rehome(subcloud, request)
        if request.method == 'GET':
            identity_api.authenticate(subcloud, request)
            return http.json_response(200, subcloud.rehome.view())
    else:
        raise http.HttpError(404, 'The resource could not be found.')
    raise http.HttpError(405, 'The method %s is not allowed for %s.' % (request.method, path))


def audit(subcloud, request):
    identity_api.authenticate(subcloud, request)
    body = request.json(required=False)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise http.HttpError(400, 'expected a JSON object naming the audits')
    requested = subcloud.audit_requests
    for key in body:
        requested[key] = requested.get(key, 0) + 1
    subcloud.counters['audits'] += 1
    return http.json_response(200, audit_result(subcloud.settings))


def audit_result(settings):
    if settings['critical_alarms'] > 0:
        cloud_status = 'critical'
    elif settings['major_alarms'] > 0:
        cloud_status = 'degraded'
    else:
        cloud_status = 'OK'
    return {'base_audit': {'availability': settings['availability'], 'inactive_sg': []},
            'alarm_audit': {'critical_alarms': settings['critical_alarms'],
                            'major_alarms': settings['major_alarms'],
                            'minor_alarms': settings['minor_alarms'],
                            'warnings': settings['warnings'],
                            'cloud_status': cloud_status}}


def start_rehome(subcloud, request):
    identity_api.authenticate(subcloud, request)
    try:
        parsed = rehome.parse_request(request.json())
        subcloud.rehome.start(subcloud, parsed)
    except ValueError as e:
        raise http.HttpError(400, str(e)) from None
    except rehome.Conflict as e:
        raise http.HttpError(409, str(e)) from None
    subcloud.counters['rehomes'] += 1
    subcloud.changed()
    return http.json_response(200, {'state': subcloud.rehome.state})
