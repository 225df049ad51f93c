"""What a failed enrollment says follows the class of the outbound error, never its text.

Each error below carries a reason that would mislead a reader of the text (an authentication
failure that mentions no HTTP status, a rejected answer whose reason says "HTTP 401",
"unreachable" and "timed out"): the description must still be the one of its class.
"""

from dcmanager.common import exception
from dcmanager.manager import enroll

URL = 'http://127.0.10.50:5000/v3'
AGENT = 'http://127.0.10.50:8080'
MISLEADING = 'HTTP 401 from the identity service: unreachable, timed out'


def test_authentication_refused_asks_for_the_password_whatever_its_reason_says():
    error = exception.AuthenticationRefused(target=URL, reason='the answer said no', status=403,
                                            kind='forbidden', service='identity')
    said = enroll._identity_failure(error, URL)
    assert 'Authentication to the subcloud\'s identity service at %s failed' % URL in said
    assert 'HTTP 403' in said and 'admin_password' in said


def test_unreachable_and_timed_out_point_at_the_address_whatever_their_reason_says():
    for cls in (exception.TargetUnreachable, exception.TargetTimedOut):
        error = cls(target=URL, reason='something else entirely', service='identity')
        said = enroll._identity_failure(error, URL)
        assert 'is unreachable (something else entirely)' in said
        assert 'bootstrap-address' in said and 'admin_password' not in said


def test_a_rejected_answer_is_not_taken_for_what_its_text_says():
    error = exception.AnswerRejected(target=URL, reason=MISLEADING, status=500,
                                     service='identity')
    said = enroll._identity_failure(error, URL)
    assert said == 'The subcloud\'s identity service at %s failed: %s.' % (URL, MISLEADING)
    assert 'admin_password' not in said and 'bootstrap-address' not in said


def test_plain_http_is_told_by_its_kind():
    error = exception.AnswerRejected(target=URL, reason='use http', kind='plain-http',
                                     service='identity')
    assert enroll._identity_failure(error, URL) == '%s: use http.' % URL


def test_an_agent_answer_of_the_wrong_shape_is_told_by_its_kind():
    malformed = exception.AnswerRejected(target=AGENT, reason=MISLEADING, kind='malformed',
                                         service='agent')
    assert enroll._agent_failure(malformed, AGENT) == (
        'The subcloud\'s audit agent at %s gave an answer this site does not understand.'
        % AGENT)
    status = exception.AnswerRejected(target=AGENT, reason='HTTP 500', status=500,
                                      service='agent')
    assert enroll._agent_failure(status, AGENT) == (
        'The subcloud\'s audit agent at %s did not answer: Subcloud at %s did not answer: '
        'HTTP 500.' % (AGENT, AGENT))
