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
        # The base rules check the project by name (admin or services), as the reference does: a
        # key of dcmanager's own, so a plain dict. A key added to oslo.context's mapping counts as
        # a deprecated one and warns each time oslo.policy reads it.
        standard = super().to_policy_values()
        values = {key: standard[key] for key in standard}
        values['project_name'] = self.project_name
        return values

    def to_dict(self):
        values = super().to_dict()
        # oslo.context leaves the names out of to_dict (from_dict reads them): without them the
        # manager would lose the project name the policy rules and the logs rely on.
        values.update(user_name=self.user_name, project_name=self.project_name,
                      domain_name=self.domain_name, user_domain_name=self.user_domain_name,
                      project_domain_name=self.project_domain_name)
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
