"""What every dcmanager command does first: read the configuration, set up logging."""

import os
import resource
import sys

from oslo_log import log as logging

from dcmanager.conf import CONF
from dcmanager import version


def prepare(argv=None, default_config_files=None):
    """Parse ``--config-file`` and friends (no file at all is fine) and set up oslo.log."""
    logging.register_options(CONF)
    CONF(sys.argv[1:] if argv is None else argv, project='dcmanager',
         version=version.version_string,
         default_config_files=default_config_files if default_config_files is not None else [])
    logging.setup(CONF, 'dcmanager')
    os.makedirs(CONF.state_path, exist_ok=True)


def raise_nofile_limit(wanted):
    """Raise this process's open-file limit towards ``wanted`` (never above the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
