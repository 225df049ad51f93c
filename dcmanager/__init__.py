"""dcmanager: a distributed-cloud manager.

dcmanager never uses eventlet. oslo.messaging imports oslo.service, whose default backend is
eventlet, so the threading backend is chosen here, before anything else of the project is imported.
"""

import warnings

from oslo_service import backend as _service_backend

# futurist imports eventlet when it is installed (a dependency of oslo.service) and eventlet warns
# about itself; nothing is monkey-patched, so the warning only adds noise to every command.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated', module='futurist')

if _service_backend.get_backend_type() is None:
    _service_backend.init_backend(_service_backend.BackendType.THREADING)
