"""SubcloudPeerGroup: subclouds protected together by a pair of sites.

Each group has an immutable UUID (``peer_group_uuid``) by which the two sites pair their copies,
and a leadership term (``leader_term``, from 1): the site that leads the group
(``system_leader_id``) is the only one whose operators may change it.
"""

import contextlib
import datetime
import uuid

from dcmanager.common import exception, integers
from dcmanager.db import geo_api
from dcmanager.objects import base, fields, system_peer

REGISTRY = base.DCManagerObjectRegistry
FIRST_TERM = 1


@REGISTRY.register
class SubcloudPeerGroup(base.DCManagerObject):
    # Version 1.0: initial version
    VERSION = '1.0'
    # The longest a group's audit holds its lease: a manager that died in one blocks the
    # group's audits this long at most (an audit is a few bounded calls to the peer site).
    AUDIT_LEASE_SECONDS = 120

    fields = dict(base.DCManagerObject.fields, **{
        'id': fields.IntegerField(read_only=True),
        'peer_group_uuid': fields.StringField(),
        'peer_group_name': fields.StringField(),
        'group_priority': fields.IntegerField(),
        'group_state': fields.StringField(),
        'max_subcloud_rehoming': fields.IntegerField(),
        'system_leader_id': fields.StringField(nullable=True),
        'system_leader_name': fields.StringField(nullable=True),
        'leader_term': fields.IntegerField(),
        'migration_status': fields.StringField(nullable=True),
    })

    @classmethod
    def get_by_id(cls, context, group_id):
        return cls._from_db_object(context, cls(), geo_api.peer_group_get(context, group_id))

    @classmethod
    def get_by_ref(cls, context, ref):
        """The group a reference names: all ASCII digits is an id, a UUID its peer_group_uuid
        (how the peer site names it) or else its name, anything else a name;
        SubcloudPeerGroupNotFound."""
        group_id = integers.ref_id(ref)
        if group_id is not None:
            return cls.get_by_id(context, group_id)
        ref = str(ref)
        if system_peer.is_uuid(ref):
            try:
                return cls._from_db_object(context, cls(),
                                           geo_api.peer_group_get_by_uuid(context, ref.lower()))
            except exception.SubcloudPeerGroupNotFound:
                pass
        return cls._from_db_object(context, cls(), geo_api.peer_group_get_by_name(context, ref))

    @classmethod
    def list(cls, context):
        return cls._from_db_objects(context, geo_api.peer_group_get_all(context))

    def is_primary(self):
        return self.group_priority == 0

    def create(self, context=None):
        """Insert this group with a new UUID and the first leadership term;
        SubcloudPeerGroupNameTaken if the name is in use."""
        if self.obj_attr_is_set('id'):
            raise exception.DCManagerException('Subcloud peer group already created')
        context = context or self._context
        if not self.obj_attr_is_set('peer_group_uuid'):
            self.peer_group_uuid = str(uuid.uuid4())
        if not self.obj_attr_is_set('leader_term'):
            self.leader_term = FIRST_TERM
        self._from_db_object(context, self, geo_api.peer_group_create(context,
                                                                     self._changed_values()))

    def save(self, context=None):
        context = context or self._context
        changes = self._changed_values()
        if 'peer_group_uuid' in changes:
            raise exception.DCManagerException('A peer group UUID is immutable')
        if changes:
            self._from_db_object(context, self,
                                 geo_api.peer_group_update(context, self.id, changes))

    def destroy(self, context=None):
        """Delete this group (its members leave it); SubcloudPeerGroupAssociated while an
        association uses it."""
        geo_api.peer_group_destroy(context or self._context, self.id)

    def status(self, context=None):
        """The counters of its members, with the group's id and name."""
        counters = geo_api.peer_group_status(context or self._context, self.id)
        return dict({'peer_group_id': self.id, 'peer_group_name': self.peer_group_name},
                    **counters)

    def has_associations(self, context=None):
        return geo_api.peer_group_has_associations(context or self._context, self.id)

    def check_term(self, term):
        """LeaderTermStale if ``term``, the peer site's term of the group sent with a write to
        this copy or its members (None: not sent), is older than the copy's."""
        if term is not None and term < self.leader_term:
            raise exception.LeaderTermStale(name=self.peer_group_name, term=term,
                                            current=self.leader_term)

    def follow(self, context, leader_id, leader_name, term, migration_status=None):
        """Take the leadership of ``term`` (newer than this group's, a compare-and-set in the
        database): True if it was written (the object then holds it), False if the group has
        that term or a newer one already."""
        values = {'system_leader_id': leader_id.lower(), 'system_leader_name': leader_name,
                  'leader_term': term, 'migration_status': migration_status}
        if not geo_api.peer_group_follow(context or self._context, self.id, term, values):
            return False
        for name, value in values.items():
            setattr(self, name, value)
        self.obj_reset_changes(list(values))
        return True

    def followed_migration_complete(self, context):
        """The peer's migration this group follows is complete: its ``migrating`` here (taken
        with the peer's leadership) becomes ``complete``, so a migration back can start. A
        compare-and-set on the leader and term followed, and never a migration a manager here
        runs; True if written (the object then holds it)."""
        if self.migration_status != 'migrating' or not self.system_leader_id:
            return False
        if not geo_api.peer_group_followed_migration_complete(
                context or self._context, self.id, self.leader_term, self.system_leader_id):
            return False
        self.migration_status = 'complete'
        self.obj_reset_changes(['migration_status'])
        return True

    @staticmethod
    @contextlib.contextmanager
    def audit_lease(context, group_id, host, seconds):
        """Hold the lease of the group's audit for the block: it yields True when taken (and
        releases it after), False when another audit of the group holds it (a manager that
        died holds it ``seconds`` at most)."""
        owner = '%s/%s' % (host, uuid.uuid4().hex[:12])
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        until = now + datetime.timedelta(seconds=seconds)
        if not geo_api.peer_group_claim_audit(context, group_id, owner, now, until):
            yield False
            return
        try:
            yield True
        finally:
            geo_api.peer_group_release_audit(context, group_id, owner)

    def start_migration(self, context, owner, leader_id, leader_name):
        """Start the migration of the group to this site, fenced: ``migrating``, owned by
        ``owner`` (this manager's host), led by this site (``leader_id``, ``leader_name``) in
        the next leader term, in one compare-and-set. True if started (the object then holds
        it); False if a migration is under way, or the term moved since this was read."""
        term = self.leader_term + 1
        values = {'system_leader_id': leader_id.lower(), 'system_leader_name': leader_name}
        if not geo_api.peer_group_start_migration(context or self._context, self.id, owner,
                                                  term, values):
            return False
        values.update(leader_term=term, migration_status='migrating')
        for name, value in values.items():
            setattr(self, name, value)
        self.obj_reset_changes(list(values))
        return True

    def end_migration(self, context, owner):
        """``complete`` the migration ``owner`` runs; False if it is no longer its."""
        if not geo_api.peer_group_end_migration(context or self._context, self.id, owner):
            return False
        self.migration_status = 'complete'
        self.obj_reset_changes(['migration_status'])
        return True

    @staticmethod
    def recover_migrations(context, recoveries, host, binary, down_time, at_start=False):
        """Move the migrations whose manager is gone to their recovery target; how many."""
        return geo_api.peer_group_recover_migrations(context, recoveries, host, binary,
                                                     down_time, at_start=at_start)
