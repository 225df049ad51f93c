"""The one exception hierarchy of dcmanager.

Every error a caller can act on is a ``DCManagerException`` with an HTTP ``code`` and a message
format. The API turns it into the HTTP status and error body in one place
(``dcmanager.api.errors``); the manager raises the same classes, and oslo.messaging rebuilds them on
the API side (this module is in ``allowed_remote_exmods``), so a rule checked inside an RPC call
reaches the client with its real status.
"""

import http


class DCManagerException(Exception):
    """Base class: ``msg_fmt`` is formatted with the keyword arguments."""

    msg_fmt = 'An unknown error occurred.'
    code = http.HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            message = self.msg_fmt % kwargs
        self.message = str(message)
        # args holds only the message, so that oslo.messaging can rebuild the
        # exception as cls(message, **kwargs) on the caller's side.
        super().__init__(self.message)

    def __str__(self):
        return self.message

    def headers(self):
        """HTTP headers the error answer carries besides its status and body."""
        return {}


class BadRequest(DCManagerException):
    msg_fmt = 'Bad request: %(reason)s'
    code = http.HTTPStatus.BAD_REQUEST


class InvalidInput(BadRequest):
    msg_fmt = '%(reason)s'


class BodyRequired(BadRequest):
    msg_fmt = 'Body required'


class InvalidStateTransition(DCManagerException):
    """A move the state table (``common/states.py``) does not allow: a conflict with the
    current state."""

    msg_fmt = ('The %(table)s cannot go from %(from_state)s to %(to_state)s (from '
               '%(from_state)s: %(allowed)s)')
    code = http.HTTPStatus.CONFLICT


class NotAuthorized(DCManagerException):
    msg_fmt = 'Not authorized.'
    code = http.HTTPStatus.UNAUTHORIZED


class Forbidden(DCManagerException):
    msg_fmt = 'Policy does not allow %(action)s to be performed.'
    code = http.HTTPStatus.FORBIDDEN


class NotFound(DCManagerException):
    msg_fmt = 'Resource could not be found.'
    code = http.HTTPStatus.NOT_FOUND


class MethodNotAllowed(DCManagerException):
    """``allowed``: the methods the resource does serve, as its ``Allow`` header lists them."""

    msg_fmt = 'Method %(method)s is not allowed on this resource (allowed: %(allowed)s).'
    code = http.HTTPStatus.METHOD_NOT_ALLOWED

    def headers(self):
        return {'Allow': self.kwargs['allowed']}


class RequestBodyTooLarge(DCManagerException):
    msg_fmt = 'The request body is larger than %(limit)s bytes ([api] max_request_body_size).'
    code = http.HTTPStatus(413)


class Conflict(DCManagerException):
    msg_fmt = 'Conflict: %(reason)s'
    code = http.HTTPStatus.CONFLICT


class ServiceUnavailable(DCManagerException):
    msg_fmt = 'Service unavailable: %(reason)s'
    code = http.HTTPStatus.SERVICE_UNAVAILABLE


# Outbound calls (to a subcloud, to the peer site): raised by dcmanager.drivers where the failure
# is detected, one class per failure a caller acts on differently. Callers decide by class (and
# by the structured attributes), never by the message, which is for operators.

class OutboundError(DCManagerException):
    """A call to another system failed; raised as one of the subclasses below.

    Keyword arguments, also attributes: ``target`` the URL called; ``reason`` what went wrong,
    for operators (never a secret); ``kind`` the detail within the class (``KINDS``);
    ``service`` the part of the target that failed: ``identity`` (its Keystone: the token
    request) or ``agent`` (the service called with the token); ``status`` the HTTP status
    of the answer, when there was one.
    """

    msg_fmt = 'The call to %(target)s failed: %(reason)s'
    code = http.HTTPStatus.BAD_GATEWAY
    KINDS = ()
    # The message by ``service`` (``msg_fmt`` without one): what an operator reads in a failed
    # enrollment or an audit log.
    formats = {'identity': 'Could not authenticate to %(target)s: %(reason)s',
               'agent': 'Subcloud at %(target)s did not answer: %(reason)s',
               'peer': 'The peer site\'s API at %(target)s: %(reason)s'}

    def __init__(self, message=None, **kwargs):
        if message is None and kwargs.get('service') in self.formats:
            message = self.formats[kwargs['service']] % kwargs
        super().__init__(message, **kwargs)

    target = property(lambda self: self.kwargs.get('target'))
    reason = property(lambda self: self.kwargs.get('reason'))
    kind = property(lambda self: self.kwargs.get('kind', self.KINDS[0] if self.KINDS else None))
    service = property(lambda self: self.kwargs.get('service'))
    status = property(lambda self: self.kwargs.get('status'))
    # The ``error`` key of a dcmanager answer: the class of the peer site's refusal.
    error = property(lambda self: self.kwargs.get('error'))


class TargetUnreachable(OutboundError):
    """No connection: refused, no route to the host, a name that does not resolve, or one the
    target closed or reset before answering."""

    KINDS = ('connection', 'refused', 'no-route', 'dns')


class TargetTimedOut(OutboundError):
    """No answer in time: the connect or read timeout, the caller's deadline, or a token
    renewal (another caller's) that did not end in time."""

    code = http.HTTPStatus.GATEWAY_TIMEOUT
    KINDS = ('timeout', 'connect', 'read', 'deadline', 'renewal')


class AuthenticationRefused(OutboundError):
    """The target refused our credentials (HTTP 401 or 403 from its Keystone, or from the
    service after a renewed token): a wrong password, a locked or disabled user."""

    KINDS = ('unauthorized', 'forbidden')


class AnswerRejected(OutboundError):
    """The target answered, and the answer is not usable: an unexpected HTTP status, a body
    that is not what the API gives, a TLS handshake that failed, or plain HTTP on an https
    port."""

    KINDS = ('status', 'malformed', 'tls', 'plain-http')


class RehomeInProgress(AnswerRejected):
    """The subcloud refused a rehome (HTTP 409) because it already runs one: nothing was
    started."""

    msg_fmt = 'The subcloud at %(target)s refused the rehome: %(reason)s'
    formats = {}
    KINDS = ('in-progress',)


class TargetNotFound(OutboundError):
    """The target answered 404: what was asked for does not exist there."""

    KINDS = ('not-found',)


class StaleLeaderTerm(OutboundError):
    """The peer site refused a write made with an older leader term of the group than its own:
    the writer no longer leads it."""

    KINDS = ('stale-term',)


class Overloaded(ServiceUnavailable):
    msg_fmt = 'The %(queue)s work queue is full (%(limit)s jobs); try again later'


# Keystone, as seen by the API's token validation (dcmanager.api.auth)

class IdentityUnavailable(ServiceUnavailable):
    msg_fmt = 'Keystone did not answer in time or refused the connection; try again later.'
    retry_after = 5

    def headers(self):
        return {'Retry-After': str(self.retry_after)}


class IdentityBusy(IdentityUnavailable):
    msg_fmt = ('Keystone is slow to answer: %(slots)s requests are already waiting for it; '
               'try again later.')


# Subcloud groups

class SubcloudGroupNotFound(NotFound):
    msg_fmt = 'Subcloud Group not found'


class SubcloudGroupNameTaken(Conflict):
    msg_fmt = 'A subcloud group with this name already exists'


class SubcloudGroupDefaultNotDeletable(BadRequest):
    msg_fmt = 'Default Subcloud Group may not be deleted'


class SubcloudGroupDefaultNotRenamable(BadRequest):
    msg_fmt = 'Default group name cannot be changed'


class SubcloudGroupNotEmpty(BadRequest):
    msg_fmt = 'Subcloud Group not empty'


# Subclouds

class SubcloudNotFound(NotFound):
    msg_fmt = 'Subcloud not found'


class SubcloudNameTaken(Conflict):
    msg_fmt = 'Subcloud with name %(name)s already exists'


class SubcloudBusy(Conflict):
    msg_fmt = 'Subcloud %(name)s is busy (%(state)s); try again when the operation has ended'


class SubcloudChanged(Conflict):
    msg_fmt = 'The subcloud was changed by another request meanwhile; try again'


class SubcloudNotRedeployable(Conflict):
    msg_fmt = ('Subcloud %(name)s cannot be redeployed: its deploy status is %(state)s; only a '
               'failed enrollment (pre-enroll-failed or enroll-failed) is run again')


class SubcloudNotDeletableManaged(BadRequest):
    msg_fmt = 'Cannot delete a subcloud that is "managed" status'


class SubcloudNotDeletablePeerGroup(BadRequest):
    msg_fmt = 'Cannot delete a subcloud that is part of a peer group on this site'


class SubcloudNotDeletableBusy(BadRequest):
    msg_fmt = 'Cannot delete a subcloud during an active operation.'


class SubcloudIsSecondary(BadRequest):
    msg_fmt = ('Subcloud %(name)s is a secondary copy (%(state)s) of a subcloud the peer site '
               'leads: only the peer site changes or deletes it')


class RehomeDataFieldsOnly(BadRequest):
    msg_fmt = ('Subcloud %(name)s is a member of peer group %(group)s, which another site '
               'leads (non-primary here): only its bootstrap_values and bootstrap_address may be '
               'updated here (to correct a failed rehome), not %(fields)s')


class RehomeDataNotEditable(Conflict):
    msg_fmt = ('The rehome data of subcloud %(name)s (peer group %(group)s, non-primary here) '
               'cannot be updated: %(reason)s')


class SubcloudNotSecondary(Conflict):
    msg_fmt = ('Subcloud %(name)s is not a secondary copy on this site (it is %(state)s): the '
               'peer site does not write it')


# Peer groups, system peers, associations

class SubcloudPeerGroupNotFound(NotFound):
    msg_fmt = 'Subcloud Peer Group not found'


class SystemPeerNotFound(NotFound):
    msg_fmt = 'System Peer not found'


class PeerGroupAssociationNotFound(NotFound):
    msg_fmt = 'Peer Group Association not found'


class SystemPeerExists(Conflict):
    msg_fmt = 'A system peer with this UUID or name already exists'


class SystemPeerAssociated(BadRequest):
    msg_fmt = 'Cannot delete a system peer which is associated with peer group.'


class SystemPeerIsLocalSystem(BadRequest):
    msg_fmt = ('A system peer cannot be this site itself: %(field)s is the local system\'s '
               '(%(value)s)')


class LocalSystemMismatch(DCManagerException):
    msg_fmt = ('[DEFAULT] system_uuid = %(configured)s, but this site\'s database was created as '
               'system %(stored)s (a peer site knows it by that UUID): unset system_uuid or set '
               'it to the stored one')


class SubcloudPeerGroupNameTaken(Conflict):
    msg_fmt = 'A subcloud peer group with this name already exists'


class SubcloudPeerGroupAssociated(BadRequest):
    msg_fmt = 'Cannot delete a peer group which is associated with a system peer.'


class SubcloudPeerGroupNotPrimary(BadRequest):
    msg_fmt = 'Cannot update a peer group from a non-primary site.'


class SubcloudPeerGroupNotLed(Conflict):
    msg_fmt = ('Peer group %(name)s is led by %(leader)s, not by this site: change it on the site '
               'that leads it')


class SubcloudPeerGroupIsPrimary(Conflict):
    msg_fmt = ('Peer group %(name)s is primary on this site: it is not a copy of the peer '
               'site\'s, and the peer site does not write it')


class LeaderTermStale(Conflict):
    msg_fmt = ('The write to peer group %(name)s carries leader term %(term)s, older than its '
               'term here (%(current)s): the writer no longer leads the group')


class SubcloudPeerGroupMigrating(Conflict):
    msg_fmt = ('Peer group %(name)s is being migrated already (or a subcloud of it is being '
               'rehomed): wait for that migration to end')


class NothingToMigrate(BadRequest):
    msg_fmt = ('Nothing to migrate, no secondary, rehome-failed or rehome-prep-failed subcloud '
               'in peer group %(name)s')


class LeaderConflict(Conflict):
    msg_fmt = ('Peer group %(name)s is led by %(leader)s in leader term %(term)s here: a write '
               'naming another leader in the same term is refused')


class PeerGroupAuditInProgress(Conflict):
    msg_fmt = ('An audit of peer group %(name)s is in progress on this site; it is audited '
               'again at the next cycle')


class SubcloudPeerGroupUUIDTaken(Conflict):
    msg_fmt = 'A subcloud peer group with this UUID already exists'


class PeerGroupAssociationExists(Conflict):
    msg_fmt = 'A Peer group association with same peer_group_id, system_peer_id already exists'


class PeerGroupAssociationBusy(Conflict):
    msg_fmt = ('Peer group association %(id)s is syncing; try again when the sync has ended')


class PeerGroupAssociationNotPrimary(BadRequest):
    msg_fmt = ('Peer group association %(id)s is non-primary: its peer site (the primary) '
               'changes and syncs it')


class PeerCleanupFailed(Conflict):
    msg_fmt = ('The copies on %(peer)s were not deleted, so the association is kept (nothing '
               'is left orphaned there): %(reason)s')


class PeerGroupAssociationIsPrimary(Conflict):
    msg_fmt = ('Peer group association %(id)s is primary on this site: the peer site does not '
               'write it')


class SubcloudNotJoinable(BadRequest):
    msg_fmt = ('Subcloud %(name)s cannot join a peer group: it must be managed, online and '
               'complete (it is %(management)s, %(availability)s, %(deploy)s)')


class SubcloudInPeerGroup(BadRequest):
    msg_fmt = ('Subcloud %(name)s is in peer group %(group)s: its management state follows the '
               'group; remove it from the group first (peer_group=none)')
