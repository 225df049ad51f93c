"""State names used across dcmanager, and the rules that tie them together."""

# Management state
MANAGED = 'managed'
UNMANAGED = 'unmanaged'
MANAGEMENT_STATES = (MANAGED, UNMANAGED)

# Availability
ONLINE = 'online'
OFFLINE = 'offline'
AVAILABILITY_STATES = (ONLINE, OFFLINE)

# Endpoint and aggregate sync status
SYNC_IN_SYNC = 'in-sync'
SYNC_OUT_OF_SYNC = 'out-of-sync'
SYNC_UNKNOWN = 'unknown'
SYNC_STATES = (SYNC_IN_SYNC, SYNC_OUT_OF_SYNC, SYNC_UNKNOWN)

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

# Deploy status: the ones this release drives, plus the failure sibling of every transitory one
DEPLOY_NOT_DEPLOYED = 'not-deployed'
DEPLOY_COMPLETE = 'complete'
DEPLOY_CREATE_FAILED = 'create-failed'
DEPLOY_SECONDARY = 'secondary'
DEPLOY_SECONDARY_FAILED = 'secondary-failed'
DEPLOY_REHOME_PENDING = 'rehome-pending'

# transitory deploy status -> the status a crash leaves it in (recovery rule)
TRANSITORY_DEPLOY_STATES = {
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
}

DEFAULT_ERROR_DESCRIPTION = 'No errors present'

# Enrollment (what adding a subcloud drives): pre-enroll -> enrolling -> complete
DEPLOY_PRE_ENROLL = 'pre-enroll'
DEPLOY_PRE_ENROLL_FAILED = 'pre-enroll-failed'
DEPLOY_ENROLLING = 'enrolling'
DEPLOY_ENROLL_FAILED = 'enroll-failed'
# An enrollment that failed can be run again (PATCH /v1.0/subclouds/<ref>/redeploy).
ENROLL_FAILED_STATES = frozenset((DEPLOY_PRE_ENROLL_FAILED, DEPLOY_ENROLL_FAILED))

# Every deploy status of the v1.0 API (spec/api.md section 2), e.g. to validate a list filter.
DEPLOY_STATES = frozenset((
    # deploy
    'not-deployed', 'pre-deploy', 'deploy-prep-failed', 'creating', 'create-failed',
    'create-complete', 'pre-install', 'pre-install-failed', 'installing', 'install-failed',
    'install-complete', 'pre-bootstrap', 'pre-bootstrap-failed', 'bootstrapping',
    'bootstrap-failed', 'bootstrap-aborted', 'bootstrap-complete', 'pre-config',
    'pre-config-failed', 'configuring', 'config-failed', 'deploying', 'deploy-failed', 'complete',
    # abort
    'aborting-install', 'install-aborted', 'aborting-bootstrap', 'aborting-config',
    'config-aborted',
    # enroll
    'pre-enroll', 'pre-enroll-failed', 'pre-enroll-complete', 'pre-init-enroll',
    'pre-init-enroll-failed', 'initiating-enroll', 'init-enroll-failed', 'init-enroll-complete',
    'enrolling', 'enroll-failed', 'enroll-complete',
    # restore
    'pre-restore', 'restore-prep-failed', 'restoring', 'restore-failed', 'onsite-restoring',
    'factory-restore-complete',
    # geo-redundancy
    'secondary', 'secondary-failed', 'pre-rehome', 'rehoming', 'rehome-failed',
    'rehome-prep-failed', 'rehome-pending',
    # other
    'reconfiguring-network', 'network-reconfiguration-failed', 'sw-deploy-in-progress',
    'sw-deploy-apply-strategy-failed',
))

# A DELETE is refused while one of these is under way.
DELETE_BLOCKING_DEPLOY_STATES = frozenset((
    'pre-deploy', 'creating', 'pre-install', 'installing', 'pre-bootstrap', 'bootstrapping',
    'pre-config', 'configuring', 'deploying', 'aborting-install', 'aborting-bootstrap',
    'aborting-config', 'pre-restore', 'restoring', 'onsite-restoring', 'pre-rehome', 'rehoming',
    'rehome-pending', 'reconfiguring-network', 'pre-init-enroll', 'initiating-enroll',
    'pre-enroll', 'enrolling',
))

# Availability audit (spec/behaviour.md section 5): who is audited, and the offline rule.
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
PEER_AVAILABILITY_CREATED = 'created'
PEER_AVAILABLE = 'available'
PEER_UNAVAILABLE = 'unavailable'
HEARTBEAT_POLICIES = ('alarm', 'rehome', 'delegate')
ASSOCIATION_PRIMARY = 'primary'
ASSOCIATION_NON_PRIMARY = 'non-primary'

# Alarm summary
CLOUD_STATUS_DISABLED = 'disabled'
