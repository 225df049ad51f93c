"""/v1.0/openapi.json: the OpenAPI document of this API (``dcmanager.api.openapi``).

Behind the same authentication as every other path (it holds no data, but there is no reason
to tell an anonymous caller more than the version document does). Built once per process.
"""

import functools

import pecan

from dcmanager.api import openapi
from dcmanager.api.controllers import base
from dcmanager.api.schemas import responses


@functools.cache
def _document():
    # Imported here: the root controller imports this module to mount it.
    from dcmanager.api.controllers import root
    return openapi.document(root.RootController())


class OpenAPIController(base.RestController):
    """GET /v1.0/openapi.json"""

    @openapi.operation('This document (OpenAPI 3.1)', response=responses.OPENAPI)
    @pecan.expose('json')
    def get_all(self):
        return _document()
