"""dcmanager: a distributed-cloud manager.

dcmanager never uses eventlet. oslo.messaging imports oslo.service, whose default backend is
eventlet, so the threading backend is made the default here, before anything else of the project is
imported.
"""

import warnings

from oslo_service import backend as _service_backend

# futurist imports eventlet when it is installed (a dependency of oslo.service) and eventlet warns
# about itself; nothing is monkey-patched, so the warning only adds noise to every command.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated', module='futurist')

# A default, not an init_backend() call: the backend is then loaded when oslo.service is first
# used, not on every import of dcmanager (half a second, before a console script can catch
# signals; see dcmanager.cmd.launch).
_service_backend.register_backend_default_hook(lambda: _service_backend.BackendType.THREADING)
