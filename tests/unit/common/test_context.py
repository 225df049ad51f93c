"""dcmanager.common.context: what a request context carries to policy and over RPC."""

from dcmanager.common import context as dc_context
from dcmanager.common import rpc
from dcmanager.objects import base as objects_base


def _ctx(**kw):
    values = dict(user_id='u1', user_name='alice', project_id='p1', project_name='admin',
                  roles=['reader', 'admin'], auth_token='gAAAA-secret-token',
                  request_id='req-0123', overwrite=False)
    values.update(kw)
    return dc_context.RequestContext(**values)


def test_policy_values_carry_the_project_name():
    values = _ctx().to_policy_values()
    assert values['project_name'] == 'admin'
    assert values['project_id'] == 'p1'
    assert sorted(values['roles']) == ['admin', 'reader']


def test_policy_values_carry_no_token():
    assert 'gAAAA-secret-token' not in repr(_ctx().to_policy_values())


def test_project_name_survives_the_rpc_context_round_trip():
    serializer = rpc.RequestContextSerializer(objects_base.DCManagerObjectSerializer())
    ctx = serializer.deserialize_context(serializer.serialize_context(_ctx()))
    assert isinstance(ctx, dc_context.RequestContext)
    assert ctx.to_policy_values()['project_name'] == 'admin'
    assert (ctx.user_id, ctx.project_id, ctx.request_id) == ('u1', 'p1', 'req-0123')
    assert (ctx.user_name, ctx.project_name) == ('alice', 'admin')
    assert ctx.auth_token is None  # the caller's token never crosses the bus


def test_from_dict_keeps_a_token_it_is_given():
    # Within one process (not over RPC) the token is kept, e.g. for a call to another service.
    ctx = dc_context.RequestContext.from_dict(_ctx().to_dict())
    assert ctx.auth_token == 'gAAAA-secret-token'


def test_from_environ_reads_keystonemiddleware_headers():
    environ = {
        'HTTP_X_USER_ID': 'u9', 'HTTP_X_USER_NAME': 'bob', 'HTTP_X_PROJECT_ID': 'p9',
        'HTTP_X_PROJECT_NAME': 'services', 'HTTP_X_ROLES': 'configurator,reader',
        'HTTP_X_AUTH_TOKEN': 'tok',
    }
    ctx = dc_context.RequestContext.from_environ(environ, request_id='req-9')
    values = ctx.to_policy_values()
    assert values['project_name'] == 'services'
    assert sorted(values['roles']) == ['configurator', 'reader']
    assert ctx.request_id == 'req-9'


def test_noauth_context_is_the_local_admin():
    ctx = dc_context.get_noauth_context(request_id='req-1')
    values = ctx.to_policy_values()
    assert values['project_name'] == 'admin'
    assert 'admin' in values['roles']
    assert ctx.is_admin and ctx.request_id == 'req-1'
    assert ctx.auth_token is None


def test_admin_context_has_no_identity():
    ctx = dc_context.get_admin_context()
    assert ctx.is_admin
    assert ctx.user_id is None and ctx.project_id is None and ctx.auth_token is None


def test_each_context_has_its_own_request_id():
    assert dc_context.get_admin_context().request_id != dc_context.get_admin_context().request_id
