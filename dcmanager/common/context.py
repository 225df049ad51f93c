"""Request context: who is asking, carried from the API through RPC to the manager."""

from oslo_context import context
from oslo_db.sqlalchemy import enginefacade


@enginefacade.transaction_context_provider
class RequestContext(context.RequestContext):
    """A request context with dcmanager's helpers.

    Built from keystonemiddleware's headers by ``from_environ``; travels over RPC as a dict
    (``to_dict``/``from_dict``), never with the token's secret parts logged.
    """

    def to_policy_values(self):
        values = super().to_policy_values()
        # The base rules check the project by name (admin or services), as the reference does.
        values['project_name'] = self.project_name
        return values

    @classmethod
    def from_dict(cls, values, **kwargs):
        kwargs.setdefault('auth_token', values.get('auth_token'))
        return super().from_dict(values, **kwargs)


def get_admin_context():
    """A context for the services' own work (audit, recovery, periodic tasks)."""
    return RequestContext(user_id=None, project_id=None, roles=['admin'], is_admin=True,
                          overwrite=False)


def get_noauth_context(request_id=None):
    """The context of every request when ``auth_strategy = noauth``: the local admin."""
    return RequestContext(user_id='noauth', project_id='admin', project_name='admin',
                          user_name='noauth', roles=['admin', 'reader'], is_admin=True,
                          request_id=request_id, overwrite=False)
