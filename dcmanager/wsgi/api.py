"""The REST API as a WSGI application: ``dcmanager.wsgi.api:application``.

For a deployment that runs the API in its own WSGI server instead of ``dcmanager-api``::

    gunicorn --bind 127.0.0.1:8119 --workers 4 dcmanager.wsgi.api:application
    uwsgi --http-socket 127.0.0.1:8119 --module dcmanager.wsgi.api:application
    # mod_wsgi: WSGIScriptAlias / <site-packages>/dcmanager/wsgi/api.py
    #           (the module defines ``application``)

The server's command line is its own, so the configuration comes from the environment:
``DCMANAGER_CONFIG_FILE`` (one or more files, separated by commas) and ``DCMANAGER_CONFIG_DIR``;
with neither, oslo.config's default locations (``/etc/dcmanager/dcmanager.conf``,
``~/.dcmanager/dcmanager.conf``, ... and the matching ``dcmanager.conf.d`` directories).

The schema is not touched here (several workers would race to upgrade it): run
``dcmanager-manage db_sync`` first. The server, not dcmanager, chooses where it listens, so
``auth_strategy = noauth`` (every caller trusted as admin) is only logged as a warning: such a
server must listen on loopback only.
"""

import os

from oslo_log import log as logging

from dcmanager import version
from dcmanager.api import app
from dcmanager.conf import CONF

LOG = logging.getLogger(__name__)
CONFIG_FILE_ENV = 'DCMANAGER_CONFIG_FILE'
CONFIG_DIR_ENV = 'DCMANAGER_CONFIG_DIR'


def config_args(environ=None):
    """oslo.config arguments from the environment ([] means: the default locations)."""
    environ = os.environ if environ is None else environ
    args = []
    for path in (environ.get(CONFIG_FILE_ENV) or '').split(','):
        if path.strip():
            args += ['--config-file', path.strip()]
    if (environ.get(CONFIG_DIR_ENV) or '').strip():
        args += ['--config-dir', environ[CONFIG_DIR_ENV].strip()]
    return args


def init_application(environ=None):
    """Read the configuration, set up logging and build the API's WSGI application."""
    args = config_args(environ)
    logging.register_options(CONF)
    # No default files when the environment names some: only what the operator gave.
    CONF(args, project='dcmanager', version=version.version_string,
         default_config_files=[] if args else None, default_config_dirs=[] if args else None)
    logging.setup(CONF, 'dcmanager')
    os.makedirs(CONF.state_path, exist_ok=True)
    if CONF.auth_strategy == 'noauth':
        LOG.warning('auth_strategy = noauth: every request is trusted as the admin user; the '
                    'WSGI server must listen on a loopback address only')
    LOG.info('dcmanager API %s as a WSGI application (auth_strategy=%s, database %s)',
             version.version_string, CONF.auth_strategy,
             CONF.database.connection.split(':', 1)[0])
    return app.setup_app()


application = init_application()
