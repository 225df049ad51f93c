"""[keystone_authtoken]: keystonemiddleware's options, with dcmanager's defaults.

keystonemiddleware waits for Keystone without any time limit by default (no
``http_connect_timeout``) and retries three times: a Keystone that accepts connections but never
answers would hold every request that carries a token, whatever the token, for ever. dcmanager
bounds each call to Keystone (the discovery of its API, the service token, the validation of a
user's token) to ``http_connect_timeout`` seconds, to connect and for each read of the answer,
and retries it once (a Keystone restarting refuses connections for a moment). A hung Keystone
then costs a request with a token at most about 2 x 5 s before its 503.
"""

from keystonemiddleware import auth_token
from oslo_config import cfg

GROUP = 'keystone_authtoken'
HTTP_CONNECT_TIMEOUT = 5
HTTP_REQUEST_MAX_RETRIES = 1
_DEFAULTS = {'http_connect_timeout': HTTP_CONNECT_TIMEOUT,
             'http_request_max_retries': HTTP_REQUEST_MAX_RETRIES}


def register_opts(conf):
    """Register keystonemiddleware's own options (it registers the same ones again, a no-op, when
    its middleware is built) and give them dcmanager's defaults."""
    for group, opts in auth_token.list_opts():
        conf.register_opts(opts, group=group)
    for name, value in _DEFAULTS.items():
        conf.set_default(name, value, group=GROUP)


def set_sample_defaults():
    """The same defaults on keystonemiddleware's option objects, for the sample configuration
    (its ``list_opts`` copies them)."""
    from keystonemiddleware.auth_token import _opts
    cfg.set_defaults(_opts._OPTS, **_DEFAULTS)
