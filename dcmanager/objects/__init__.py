"""Versioned objects: the one shape of every resource inside dcmanager and on the RPC bus."""

from dcmanager.db import api as _db_api


def transaction(context):
    """A context manager: the object writes made inside it are one database transaction,
    committed when the block ends, rolled back together if it raises."""
    return _db_api.transaction(context)



def register_all():
    # Importing the modules registers the classes with the registry.
    __import__('dcmanager.objects.alarm_summary')
    __import__('dcmanager.objects.peer_group_association')
    __import__('dcmanager.objects.site_alarm')
    __import__('dcmanager.objects.subcloud')
    __import__('dcmanager.objects.subcloud_group')
    __import__('dcmanager.objects.subcloud_peer_group')
    __import__('dcmanager.objects.system_peer')
