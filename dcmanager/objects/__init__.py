"""Versioned objects: the one shape of every resource inside dcmanager and on the RPC bus."""


def register_all():
    # Importing the modules registers the classes with the registry.
    __import__('dcmanager.objects.alarm_summary')
    __import__('dcmanager.objects.peer_group_association')
    __import__('dcmanager.objects.subcloud')
    __import__('dcmanager.objects.subcloud_group')
    __import__('dcmanager.objects.subcloud_peer_group')
    __import__('dcmanager.objects.system_peer')
