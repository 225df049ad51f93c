"""State names used across dcmanager, and the rules that tie them together.

Each status column has its state table (``statetable.StateTable``): its values, the moves between
them (``DEPLOY.check(from_state, to_state)`` refuses any other with a 409), which values are
transitory (an operation is under way, owned by a manager) and, for each of those, the stable
value and error description a dead manager's leftover is moved to (``DEPLOY.recovery(state)``,
run by ``manager/recovery.py``). The tables: ``DEPLOY``, ``AVAILABILITY``, ``SYNC`` (subclouds),
``PEER_AVAILABILITY`` (system peers), ``MIGRATION`` (peer groups), ``ASSOCIATION_SYNC``
(peer group associations).
"""

from dcmanager.common import statetable

# Management state
MANAGED = 'managed'
UNMANAGED = 'unmanaged'
MANAGEMENT_STATES = (MANAGED, UNMANAGED)

# Availability
ONLINE = 'online'
OFFLINE = 'offline'
AVAILABILITY_STATES = (ONLINE, OFFLINE)
# The audit's rule (audit/availability.py): a subcloud is created offline and comes online when
# its audit agent answers.
AVAILABILITY = statetable.StateTable('availability', {
    OFFLINE: (ONLINE,),
    ONLINE: (OFFLINE,),
}, initial=(OFFLINE,))

# Endpoint and aggregate sync status
SYNC_IN_SYNC = 'in-sync'
SYNC_OUT_OF_SYNC = 'out-of-sync'
SYNC_UNKNOWN = 'unknown'
SYNC_STATES = (SYNC_IN_SYNC, SYNC_OUT_OF_SYNC, SYNC_UNKNOWN)
# Each endpoint's (and the aggregate's) sync status is what was last learnt: any may follow any.
SYNC = statetable.StateTable('sync status', {
    state: tuple(other for other in SYNC_STATES if other != state) for state in SYNC_STATES
}, initial=(SYNC_UNKNOWN,))

# Endpoint types that get a subcloud_status row when a subcloud is created
ENDPOINT_TYPES = ('platform', 'identity', 'dc-cert', 'firmware', 'kubernetes', 'kube-rootca',
                  'software')

# Subcloud group apply type
APPLY_PARALLEL = 'parallel'
APPLY_SERIAL = 'serial'
APPLY_TYPES = (APPLY_PARALLEL, APPLY_SERIAL)

DEFAULT_GROUP_ID = 1
DEFAULT_GROUP_NAME = 'Default'
DEFAULT_GROUP_DESCRIPTION = 'Default Subcloud Group'
DEFAULT_GROUP_MAX_PARALLEL = 2
MAX_PARALLEL_SUBCLOUDS_RANGE = (1, 5000)

# Deploy status: the ones the code names (every value is in the table DEPLOY below)
DEPLOY_NOT_DEPLOYED = 'not-deployed'
DEPLOY_COMPLETE = 'complete'
DEPLOY_CREATE_FAILED = 'create-failed'
DEPLOY_SECONDARY = 'secondary'
DEPLOY_SECONDARY_FAILED = 'secondary-failed'
DEPLOY_PRE_REHOME = 'pre-rehome'
DEPLOY_REHOMING = 'rehoming'
DEPLOY_REHOME_FAILED = 'rehome-failed'
DEPLOY_REHOME_PREP_FAILED = 'rehome-prep-failed'
DEPLOY_REHOME_PENDING = 'rehome-pending'

DEFAULT_ERROR_DESCRIPTION = 'No errors present'

# Enrollment (what adding a subcloud drives): pre-enroll -> enrolling -> complete
DEPLOY_PRE_ENROLL = 'pre-enroll'
DEPLOY_PRE_ENROLL_FAILED = 'pre-enroll-failed'
DEPLOY_ENROLLING = 'enrolling'
DEPLOY_ENROLL_FAILED = 'enroll-failed'
# An enrollment that failed can be run again (PATCH /v1.0/subclouds/<ref>/redeploy).
ENROLL_FAILED_STATES = frozenset((DEPLOY_PRE_ENROLL_FAILED, DEPLOY_ENROLL_FAILED))

# Every deploy status of the v1.0 API and its moves. This release drives the enrollment (and the
# recovery of every transitory status); the deploy, install, bootstrap, config, restore and
# network phases are the reference's, declared so that a row it wrote is understood; the
# geo-redundancy moves are those of a migration (target: secondary -> pre-rehome -> rehoming ->
# complete; source: -> rehome-pending -> secondary).
# A transitory status (an operation under way, owned by a manager: ``deploy_owner``) goes to its
# failure sibling when that manager dies ("operation in progress": 409 meanwhile).
DEPLOY = statetable.StateTable('deploy status', {
    # deploy
    'not-deployed': ('creating', 'pre-deploy', 'pre-install', 'pre-bootstrap', 'pre-enroll'),
    'creating': ('create-complete', 'create-failed'),
    'create-failed': ('creating',),
    'create-complete': ('pre-install', 'pre-bootstrap', 'pre-init-enroll'),
    'pre-deploy': ('pre-install', 'pre-bootstrap', 'deploying', 'deploy-prep-failed'),
    'deploy-prep-failed': ('pre-deploy',),
    'deploying': ('complete', 'deploy-failed'),
    'deploy-failed': ('pre-deploy',),
    'pre-install': ('installing', 'pre-install-failed'),
    'pre-install-failed': ('pre-install',),
    'installing': ('install-complete', 'install-failed', 'aborting-install'),
    'install-failed': ('pre-install',),
    'install-complete': ('pre-bootstrap',),
    'pre-bootstrap': ('bootstrapping', 'pre-bootstrap-failed'),
    'pre-bootstrap-failed': ('pre-bootstrap',),
    'bootstrapping': ('bootstrap-complete', 'bootstrap-failed', 'aborting-bootstrap'),
    'bootstrap-failed': ('pre-bootstrap',),
    'bootstrap-complete': ('pre-config',),
    'pre-config': ('configuring', 'pre-config-failed'),
    'pre-config-failed': ('pre-config',),
    'configuring': ('complete', 'config-failed', 'aborting-config'),
    'config-failed': ('pre-config',),
    'complete': ('pre-restore', 'reconfiguring-network', 'sw-deploy-in-progress',
                 'rehome-pending', 'secondary', 'rehome-failed'),
    # abort
    'aborting-install': ('install-aborted',),
    'install-aborted': ('pre-install',),
    'aborting-bootstrap': ('bootstrap-aborted',),
    'bootstrap-aborted': ('pre-bootstrap',),
    'aborting-config': ('config-aborted',),
    'config-aborted': ('pre-config',),
    # enroll: this release's pre-enroll -> enrolling -> complete (a failure is run again by a
    # redeploy), beside the reference's steps of a factory-installed subcloud
    'pre-init-enroll': ('initiating-enroll', 'pre-init-enroll-failed'),
    'pre-init-enroll-failed': ('pre-init-enroll',),
    'initiating-enroll': ('init-enroll-complete', 'init-enroll-failed'),
    'init-enroll-failed': ('pre-init-enroll',),
    'init-enroll-complete': ('pre-enroll',),
    'pre-enroll': ('enrolling', 'pre-enroll-failed', 'pre-enroll-complete'),
    'pre-enroll-failed': ('pre-enroll',),
    'pre-enroll-complete': ('enrolling',),
    'enrolling': ('complete', 'enroll-failed', 'enroll-complete'),
    'enroll-failed': ('pre-enroll',),
    'enroll-complete': ('pre-config', 'complete'),
    # restore
    'pre-restore': ('restoring', 'onsite-restoring', 'restore-prep-failed'),
    'restore-prep-failed': ('pre-restore',),
    'restoring': ('complete', 'restore-failed'),
    'onsite-restoring': ('factory-restore-complete', 'restore-failed'),
    'restore-failed': ('pre-restore',),
    'factory-restore-complete': ('pre-config', 'complete'),
    # geo-redundancy: a secondary copy is migrated here (pre-rehome, rehoming); the source's
    # copy waits (rehome-pending) and becomes secondary once the audit sees the migration done,
    # or rehome-failed when the target's failed, so that it can be migrated back.
    # secondary -> rehome-prep-failed: a migration cut short before this copy's rehome began.
    'secondary': ('pre-rehome', 'secondary-failed', 'rehome-prep-failed'),
    'secondary-failed': ('secondary',),
    'pre-rehome': ('rehoming', 'rehome-prep-failed'),
    'rehoming': ('complete', 'rehome-failed'),
    'rehome-failed': ('pre-rehome', 'rehome-pending', 'secondary'),
    'rehome-prep-failed': ('pre-rehome', 'rehome-pending', 'secondary'),
    'rehome-pending': ('complete', 'secondary', 'rehome-failed'),
    # other
    'reconfiguring-network': ('complete', 'network-reconfiguration-failed'),
    'network-reconfiguration-failed': ('reconfiguring-network',),
    'sw-deploy-in-progress': ('complete', 'sw-deploy-apply-strategy-failed'),
    'sw-deploy-apply-strategy-failed': ('sw-deploy-in-progress', 'complete'),
}, recovery={
    'not-deployed': 'create-failed',
    'creating': 'create-failed',
    'pre-deploy': 'pre-config-failed',
    'pre-install': 'pre-install-failed',
    'installing': 'install-failed',
    'pre-bootstrap': 'pre-bootstrap-failed',
    'bootstrapping': 'bootstrap-failed',
    'pre-config': 'pre-config-failed',
    'configuring': 'config-failed',
    'deploying': 'config-failed',
    'aborting-install': 'install-failed',
    'aborting-bootstrap': 'bootstrap-failed',
    'aborting-config': 'config-failed',
    'pre-restore': 'restore-prep-failed',
    'restoring': 'restore-failed',
    'onsite-restoring': 'restore-failed',
    'pre-rehome': 'rehome-prep-failed',
    'rehoming': 'rehome-failed',
    'reconfiguring-network': 'network-reconfiguration-failed',
    'pre-enroll': 'pre-enroll-failed',
    'enrolling': 'enroll-failed',
    'pre-init-enroll': 'pre-init-enroll-failed',
    'initiating-enroll': 'init-enroll-failed',
}, description=('The manager running the operation stopped (restarted or died) while the '
                'subcloud was %(state)s; the operation did not finish. Run it again: '
                'for an enrollment, dcmanager subcloud redeploy.'),
    # pre-enroll: an added subcloud; secondary: the copy the peer site creates.
    initial=('not-deployed', 'pre-enroll', 'secondary'))

# Every deploy status of the v1.0 API, e.g. to validate a list filter.
DEPLOY_STATES = DEPLOY.states

# A secondary copy of a subcloud the peer site leads: the peer site alone writes it.
SECONDARY_DEPLOY_STATES = frozenset((DEPLOY_SECONDARY, DEPLOY_SECONDARY_FAILED))

# A DELETE is refused while one of these is under way.
DELETE_BLOCKING_DEPLOY_STATES = frozenset((
    'pre-deploy', 'creating', 'pre-install', 'installing', 'pre-bootstrap', 'bootstrapping',
    'pre-config', 'configuring', 'deploying', 'aborting-install', 'aborting-bootstrap',
    'aborting-config', 'pre-restore', 'restoring', 'onsite-restoring', 'pre-rehome', 'rehoming',
    'rehome-pending', 'reconfiguring-network', 'pre-init-enroll', 'initiating-enroll',
    'pre-enroll', 'enrolling',
))

# Availability audit: who is audited, and the offline rule.
AUDITABLE_DEPLOY_STATES = frozenset((
    'complete', 'configuring', 'config-failed', 'config-aborted', 'pre-config-failed',
    'install-failed', 'install-aborted', 'pre-install-failed', 'installing', 'restoring',
    'restore-prep-failed', 'restore-failed', 'rehome-pending', 'sw-deploy-in-progress',
    'sw-deploy-apply-strategy-failed',
))
# ... except an offline subcloud in one of these (it is expected to be unreachable).
NOT_AUDITED_WHEN_OFFLINE = frozenset(('installing', 'rehome-pending', 'sw-deploy-in-progress'))
# Consecutive failed audits that take an online subcloud offline; one success brings it back.
AVAIL_FAIL_COUNT_TO_OFFLINE = 2
AVAIL_FAIL_COUNT_MAX = 9999

# Peer groups and system peers
GROUP_STATE_ENABLED = 'enabled'
GROUP_STATE_DISABLED = 'disabled'
ADMIN_STATE_ENABLED = 'enabled'
ADMIN_STATE_DISABLED = 'disabled'
HEARTBEAT_POLICIES = ('alarm', 'rehome', 'delegate')
ASSOCIATION_PRIMARY = 'primary'
ASSOCIATION_NON_PRIMARY = 'non-primary'

# A system peer's availability, set by the heartbeat monitor: ``created`` until its first
# verdict; a peer that stays down is marked unavailable again (the failure actions repeat).
PEER_AVAILABILITY_CREATED = 'created'
PEER_AVAILABLE = 'available'
PEER_UNAVAILABLE = 'unavailable'
PEER_AVAILABILITY = statetable.StateTable('system peer availability', {
    PEER_AVAILABILITY_CREATED: (PEER_AVAILABLE, PEER_UNAVAILABLE),
    PEER_AVAILABLE: (PEER_UNAVAILABLE,),
    PEER_UNAVAILABLE: (PEER_AVAILABLE, PEER_UNAVAILABLE),
}, initial=(PEER_AVAILABILITY_CREATED,))

# A peer group's migration status (NULL, shown and written as ``none``, when no migration is
# under way or was recorded). The migration sets ``migrating`` together with its fence (this
# site leads the group from then on, in a new leader term), then ``complete`` when it ends
# (whatever became of each subcloud). A crash while migrating ends it ``complete`` too: the
# leader already moved (the fence is the first step), the subclouds left in pre-rehome or
# rehoming are recovered by the deploy status table (rehome-prep-failed, rehome-failed), and the
# operator migrates them again.
MIGRATION_NONE = None
MIGRATION_MIGRATING = 'migrating'
MIGRATION_COMPLETE = 'complete'
MIGRATION = statetable.StateTable('peer group migration status', {
    MIGRATION_NONE: (MIGRATION_MIGRATING,),
    MIGRATION_MIGRATING: (MIGRATION_COMPLETE,),
    MIGRATION_COMPLETE: (MIGRATION_NONE, MIGRATION_MIGRATING),
}, recovery={MIGRATION_MIGRATING: MIGRATION_COMPLETE},
    description=('The manager running the migration stopped (restarted or died) while the peer '
                 'group was %(state)s; the migration ended there, the group led by this site. '
                 'Migrate the failed subclouds again: dcmanager subcloud-peer-group migrate.'),
    initial=(MIGRATION_NONE,))
# The error description of a member still secondary when its group's migration was cut short
# (its manager stopped or died): ended failed, so that both sites see it was not rehomed (the
# source steps its copy down to rehome-failed) and it is migrated again.
MIGRATION_CUT_SHORT = ('The migration of its peer group stopped (its manager restarted or died) '
                       'before this subcloud\'s rehome began; it was not rehomed. Migrate it '
                       'again: dcmanager subcloud-peer-group migrate.')

# A peer group association's sync status, as its primary site drives it: created syncing, then
# what the sync found; the peer's heartbeat makes a known status unknown or failed and back
# (in-sync -> unknown, others -> failed; when the peer is back, unknown -> in-sync and
# failed -> out-of-sync); a member's change makes it out-of-sync (failed when unknown, as the
# peer cannot be told). A non-primary association mirrors what its primary writes to it: the
# peer may skip steps, so that write is not held to this table.
ASSOCIATION_SYNC_SYNCING = 'syncing'
ASSOCIATION_SYNC_IN_SYNC = 'in-sync'
ASSOCIATION_SYNC_OUT_OF_SYNC = 'out-of-sync'
ASSOCIATION_SYNC_FAILED = 'failed'
ASSOCIATION_SYNC_UNKNOWN = 'unknown'
ASSOCIATION_SYNC = statetable.StateTable('association sync status', {
    ASSOCIATION_SYNC_SYNCING: (ASSOCIATION_SYNC_IN_SYNC, ASSOCIATION_SYNC_OUT_OF_SYNC,
                               ASSOCIATION_SYNC_FAILED),
    ASSOCIATION_SYNC_IN_SYNC: (ASSOCIATION_SYNC_SYNCING, ASSOCIATION_SYNC_OUT_OF_SYNC,
                               ASSOCIATION_SYNC_UNKNOWN, ASSOCIATION_SYNC_FAILED),
    ASSOCIATION_SYNC_OUT_OF_SYNC: (ASSOCIATION_SYNC_SYNCING, ASSOCIATION_SYNC_IN_SYNC,
                                   ASSOCIATION_SYNC_FAILED),
    ASSOCIATION_SYNC_FAILED: (ASSOCIATION_SYNC_SYNCING, ASSOCIATION_SYNC_OUT_OF_SYNC,
                              ASSOCIATION_SYNC_IN_SYNC, ASSOCIATION_SYNC_FAILED),
    ASSOCIATION_SYNC_UNKNOWN: (ASSOCIATION_SYNC_SYNCING, ASSOCIATION_SYNC_IN_SYNC,
                               ASSOCIATION_SYNC_FAILED, ASSOCIATION_SYNC_UNKNOWN),
}, recovery={ASSOCIATION_SYNC_SYNCING: ASSOCIATION_SYNC_FAILED},
    description=('The manager running the sync stopped (restarted or died) while the '
                 'association was %(state)s. Run it again: dcmanager peer-group-association '
                 'sync.'),
    initial=(ASSOCIATION_SYNC_SYNCING,))

# Alarm summary
CLOUD_STATUS_DISABLED = 'disabled'
