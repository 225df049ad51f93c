"""Versioned objects: fingerprints pin every version, and objects survive the RPC serializers."""

import datetime

from oslo_serialization import jsonutils
from oslo_versionedobjects import fixture
import pytest

from dcmanager import objects
from dcmanager.common import context as dc_context
from dcmanager.common import rpc
from dcmanager.objects import base, fields

# A change to an object's fields or remotable methods changes its fingerprint: bump the object's
# VERSION (with a history comment and, if needed, obj_make_compatible) and update this table.
expected_object_fingerprints = {
    'AlarmSummary': '1.0-afe1b048c8e703e47c2bf0e0693d3b28',
    'Subcloud': '1.1-03295c8e251cc10191989e6a3f02eeed',
    'LocalSystem': '1.0-b62cccdee78cbf7a154a6b0175c3a717',
    'PeerGroupAssociation': '1.0-82ac94fe38cd3b68b66ea9a04815d5a3',
    'SubcloudGroup': '1.0-6c527cc909a41eb2a2b1f40d4df7a536',
    'SubcloudPeerGroup': '1.0-2b644b331c6675bb8209f648be4f5836',
    'SiteAlarm': '1.0-50689052ef3bd4177530d1fa78a996d0',
    'SystemPeer': '1.0-aa79d333cba630cd78f48324dec7bd66',
}


@pytest.fixture(scope='module', autouse=True)
def registered():
    objects.register_all()


def test_versions():
    checker = fixture.ObjectVersionChecker(base.DCManagerObjectRegistry.obj_classes())
    expected, actual = checker.test_hashes(expected_object_fingerprints)
    assert expected == actual, (
        'Some objects changed without a version bump, or are missing from (or stale in) '
        'expected_object_fingerprints; "actual" has the new fingerprints')


def test_every_registered_object_has_a_fingerprint():
    assert set(base.DCManagerObjectRegistry.obj_classes()) == set(expected_object_fingerprints)


def test_a_changed_field_changes_the_fingerprint():
    # What test_versions catches: the same class and version with one field of another type.
    class SubcloudGroup(objects.SubcloudGroup):  # not registered
        fields = dict(objects.SubcloudGroup.fields,
                      max_parallel_subclouds=fields.StringField())

    checker = fixture.ObjectVersionChecker({'SubcloudGroup': [SubcloudGroup]})
    expected, actual = checker.test_hashes(
        {'SubcloudGroup': expected_object_fingerprints['SubcloudGroup']})
    assert expected != actual
    assert objects.SubcloudGroup is base.DCManagerObjectRegistry.obj_classes()[
        'SubcloudGroup'][0]


# ------------------------------------------------------------------ over RPC

CREATED = datetime.datetime(2023, 8, 21, 9, 24, 7, 394961)
UPDATED = datetime.datetime(2024, 1, 2, 3, 4, 5, 6)


def _serializer():
    """The serializer of the RPC client and server (dcmanager.common.rpc.get_client)."""
    return rpc.RequestContextSerializer(base.DCManagerObjectSerializer())


def _wire(value):
    """What the transport does to a payload: JSON out and back."""
    return jsonutils.loads(jsonutils.dumps(value))


def _ctx():
    return dc_context.RequestContext(user_id='u1', user_name='alice', project_id='p1',
                                     project_name='admin', roles=['admin'],
                                     auth_token='gAAAAABsecret-token-value', overwrite=False)


def _round_trip(obj):
    serializer = _serializer()
    ctx = _ctx()
    wire_ctx = _wire(serializer.serialize_context(ctx))
    received_ctx = serializer.deserialize_context(wire_ctx)
    primitive = _wire(serializer.serialize_entity(ctx, obj))
    return serializer.deserialize_entity(received_ctx, primitive), wire_ctx, primitive


def _group(**kw):
    values = dict(id=7, name='edge', description='Edge sites', update_apply_type='serial',
                  max_parallel_subclouds=4, created_at=CREATED, updated_at=UPDATED)
    values.update(kw)
    return objects.SubcloudGroup(**values)


def test_group_round_trip_keeps_every_field_and_the_microseconds():
    group = _group()
    received, _, _ = _round_trip(group)
    assert isinstance(received, objects.SubcloudGroup)
    for name in objects.SubcloudGroup.fields:
        assert getattr(received, name) == getattr(group, name), name
    assert received.created_at.microsecond == 394961
    assert received.updated_at.microsecond == 6
    assert str(received.created_at) == '2023-08-21 09:24:07.394961'  # what the API prints
    assert received.created_at.tzinfo is None


def test_round_trip_keeps_what_changed():
    # update_subcloud_group sends a loaded group with some fields changed: only those are saved.
    group = _group()
    group.obj_reset_changes()
    group.description = 'changed'
    received, _, _ = _round_trip(group)
    assert received.obj_what_changed() == {'description'}


def test_unset_and_null_fields_stay_unset_and_null():
    # create_subcloud_group sends a group without id or timestamps.
    group = objects.SubcloudGroup(name='edge', description=None, update_apply_type='serial',
                                  max_parallel_subclouds=2)
    received, _, _ = _round_trip(group)
    assert not received.obj_attr_is_set('id')
    assert not received.obj_attr_is_set('created_at')
    assert received.description is None


def test_subcloud_round_trip():
    subcloud = objects.Subcloud(
        id=3, name='sc1', management_state='unmanaged', availability_status='offline',
        deploy_status='complete', error_description='No errors present',
        openstack_installed=False, audit_fail_count=0, first_identity_sync_complete=False,
        group_id=1, peer_group_id=None, rehomed=False, enrolled_with_vcsr=False,
        backup_datetime=CREATED, created_at=CREATED, updated_at=None)
    received, _, _ = _round_trip(subcloud)
    assert isinstance(received, objects.Subcloud)
    set_fields = [name for name in objects.Subcloud.fields if subcloud.obj_attr_is_set(name)]
    assert [name for name in objects.Subcloud.fields if received.obj_attr_is_set(name)] == \
        set_fields
    for name in set_fields:
        assert getattr(received, name) == getattr(subcloud, name), name
    assert received.obj_what_changed() == subcloud.obj_what_changed()
    assert received.backup_datetime == CREATED
    assert received.updated_at is None


def test_aware_timestamps_are_stored_as_naive_utc():
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    group = _group(created_at=datetime.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=plus2))
    assert group.created_at == datetime.datetime(2024, 5, 1, 10, 0, 0, 123456)
    received, _, _ = _round_trip(group)
    assert received.created_at == datetime.datetime(2024, 5, 1, 10, 0, 0, 123456)


def test_the_token_does_not_travel():
    _, wire_ctx, primitive = _round_trip(_group())
    assert 'auth_token' not in wire_ctx
    assert 'gAAAAABsecret-token-value' not in jsonutils.dumps(wire_ctx)
    assert 'gAAAAABsecret-token-value' not in jsonutils.dumps(primitive)


def test_the_context_arrives_without_the_token_but_with_the_identity():
    serializer = _serializer()
    received = serializer.deserialize_context(_wire(serializer.serialize_context(_ctx())))
    assert isinstance(received, dc_context.RequestContext)
    assert received.auth_token is None
    assert (received.user_id, received.project_id, received.project_name) == \
        ('u1', 'p1', 'admin')


def test_plain_values_pass_through():
    serializer = _serializer()
    ctx = _ctx()
    assert serializer.deserialize_entity(ctx, _wire(serializer.serialize_entity(ctx, 7))) == 7
    assert serializer.deserialize_entity(
        ctx, _wire(serializer.serialize_entity(ctx, [_group(), 'x'])))[1] == 'x'


def test_primitive_names_the_object_and_its_version():
    _, _, primitive = _round_trip(_group())
    assert primitive['versioned_object.name'] == 'SubcloudGroup'
    assert primitive['versioned_object.namespace'] == 'dcmanager'
    assert primitive['versioned_object.version'] == objects.SubcloudGroup.VERSION
