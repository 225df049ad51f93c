"""What every dcmanager command does first: read the configuration, set up logging."""

import contextlib
import os
import sys

from oslo_log import log as logging

from dcmanager import version
from dcmanager.common import exception, log_escape, nofile
from dcmanager.conf import CONF


def prepare(argv=None, default_config_files=None):
    """Parse ``--config-file`` and friends (no file at all is fine) and set up oslo.log."""
    logging.register_options(CONF)
    CONF(sys.argv[1:] if argv is None else argv, project='dcmanager',
         version=version.version_string,
         default_config_files=default_config_files if default_config_files is not None else [])
    logging.setup(CONF, 'dcmanager')
    # Client-provided values (names, texts, messages quoting a request) reach log lines as
    # arguments: escaped, they can never write a line of their own.
    log_escape.install()
    os.makedirs(CONF.state_path, exist_ok=True)
    raise_nofile_limit(open_files_needed())


def open_files_needed():
    """Descriptors a service may hold at once: a connection per outbound worker and per API
    thread (each with a spare for its token request), the API's client connections, plus room
    for the database and logs."""
    return (2 * CONF.work_queue.workers + 2 * CONF.api.threads + CONF.api.connection_limit
            + 1024)


@contextlib.contextmanager
def startup_checks():
    """End the command with the reason on stderr and status 1 when the configuration is refused.

    For errors the operator must fix (e.g. noauth on a public address): found before anything
    listens, reported in one line instead of a traceback.
    """
    try:
        yield
    except exception.DCManagerException as e:
        sys.exit('%s: %s' % (os.path.basename(sys.argv[0]), e))


def raise_nofile_limit(wanted):
    """Raise this process's open-file limit towards ``wanted`` (the hard limit too, where the
    process may)."""
    nofile.raise_limit(wanted)
