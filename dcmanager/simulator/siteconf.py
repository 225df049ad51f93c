"""The configuration a dcmanager site needs to reach this fleet (``--site-config FILE``).

The simulator serves plain HTTP on its own identity and agent ports, while a site's defaults are a
real StarlingX subcloud's (``https``). Rather than have every caller keep the two in step by hand,
the simulator writes the ``[subcloud]`` section that matches it, once its listeners are up and
before its READY line; ``tools/run-site`` passes that file first to ``dcmanager-all``, so the
operator's own ``--config-file`` options still override it. The file holds no secret: the admin
password of a subcloud travels in its bootstrap values.
"""

import os

HEADER = ('# Written by dcmanager-subcloud-sim at start: how a dcmanager site reaches this '
          'simulated fleet.\n'
          '# Give it to the site first (--config-file), so later files can override it.\n')


def render(identity_port, agent_port, admin_username='admin', admin_project='admin',
           admin_domain='Default'):
    """The text of the file: a ``[subcloud]`` section of dcmanager's options."""
    lines = ['[subcloud]',
             'scheme = http',
             'identity_port = %d' % identity_port,
             'agent_port = %d' % agent_port,
             'admin_username = %s' % admin_username,
             'admin_project = %s' % admin_project,
             'admin_domain = %s' % admin_domain]
    return HEADER + '\n'.join(lines) + '\n'


def write(path, identity_port, agent_port):
    """Write the file atomically (a reader never sees half of it)."""
    path = os.path.abspath(path)
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(render(identity_port, agent_port))
    os.replace(tmp, path)
