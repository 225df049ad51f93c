"""/v1.0/subclouds/<ref>/redeploy: run the failed enrollment of a subcloud again.

What ``dcmanager subcloud redeploy`` sends: ``multipart/form-data`` with optional
``bootstrap_values`` and ``install_values`` files and ``sysadmin_password``, ``bmc_password``
(base64), ``release``, ``description``, ``location`` fields (JSON with the same keys too, or no
body at all for a plain retry). New bootstrap values and passwords replace the stored ones; the
bootstrap address is the ``bootstrap-address`` field or, as the reference takes it, the
``bootstrap_address`` of the install values. Passwords are encrypted here, before the RPC call.

The manager allows it only for a subcloud whose enrollment failed (``pre-enroll-failed``,
``enroll-failed``) and moves it back to ``pre-enroll`` with a compare-and-set, then enrolls it
on the same bounded pool as an add.
"""

import pecan

from dcmanager import objects
from dcmanager.api import forms, openapi, policy, views
from dcmanager.api.controllers import base
from dcmanager.api.schemas import responses, subcloud_values
from dcmanager.api.schemas import subclouds as schema
from dcmanager.policies import subclouds as rules


def _form(request):
    # No body at all is a plain retry with what is stored (curl -X PATCH .../redeploy).
    if not request.body:
        return {}
    return forms.read(request, schema.YAML_FILES)


class SubcloudRedeployController(base.RestController):
    """PATCH /v1.0/subclouds/<ref>/redeploy (anything below it is 404)."""

    @openapi.operation('Run the failed enrollment of a subcloud again', body=schema.REDEPLOY,
                       forms=schema.YAML_FILES, response=responses.SUBCLOUD_DETAIL)
    @pecan.expose('json')
    def patch(self, ref):
        ctx = base.context()
        policy.authorize(rules.MODIFY, ctx)
        form = _form(pecan.request)
        subcloud = objects.Subcloud.get_by_ref(ctx, ref)
        request = subcloud_values.redeploy_request(form, subcloud.name)
        fields = request.fields
        payload = fields.pop('saved_payload', None)
        if payload is not None:
            subcloud.rehome_data = objects.Subcloud.make_rehome_data(
                payload, fields.get('bootstrap_address', subcloud.bootstrap_address))
        for name, value in fields.items():
            setattr(subcloud, name, value)
        secrets = (objects.Subcloud.encrypt_secrets(request.secrets) if request.secrets
                   else None)
        redeployed = base.manager().redeploy_subcloud(ctx, subcloud, secrets=secrets)
        return views.subcloud_show(
            redeployed, objects.Subcloud.endpoint_statuses(ctx, redeployed.id), detail=True)
