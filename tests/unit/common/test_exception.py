"""dcmanager.common.exception: messages, codes, and oslo.messaging's rebuild by the caller."""

import http
import inspect
import re
import sys

from oslo_messaging._drivers import common as messaging_common
import pytest

from dcmanager.common import exception, rpc

ALL = sorted((cls for _, cls in inspect.getmembers(exception, inspect.isclass)
              if issubclass(cls, exception.DCManagerException)), key=lambda cls: cls.__name__)


def _kwargs(cls):
    """A value for every placeholder of the class's message format."""
    return {name: '<%s>' % name for name in re.findall(r'%\((\w+)\)s', cls.msg_fmt)}


def _expected(cls):
    return cls.msg_fmt % _kwargs(cls)


@pytest.mark.parametrize('cls', ALL, ids=lambda cls: cls.__name__)
def test_message_is_the_format_with_the_kwargs(cls):
    exc = cls(**_kwargs(cls))
    assert exc.message == str(exc) == _expected(cls)
    assert exc.kwargs == _kwargs(cls)


@pytest.mark.parametrize('cls', ALL, ids=lambda cls: cls.__name__)
def test_code_is_an_http_error_status(cls):
    assert 400 <= int(cls.code) < 600
    assert int(cls.code) in {status.value for status in http.HTTPStatus}


@pytest.mark.parametrize('cls', ALL, ids=lambda cls: cls.__name__)
def test_rebuilt_from_args_and_kwargs_like_oslo_messaging(cls):
    exc = cls(**_kwargs(cls))
    rebuilt = cls(*exc.args, **exc.kwargs)
    assert rebuilt.message == exc.message
    assert rebuilt.kwargs == exc.kwargs


@pytest.mark.parametrize('cls', ALL, ids=lambda cls: cls.__name__)
def test_rebuilt_by_oslo_messaging_itself(cls):
    try:
        raise cls(**_kwargs(cls))
    except exception.DCManagerException:
        data = messaging_common.serialize_remote_exception(sys.exc_info())
    rebuilt = messaging_common.deserialize_remote_exception(data, rpc.ALLOWED_EXMODS)
    assert isinstance(rebuilt, cls)
    assert type(rebuilt).__name__ == cls.__name__ + '_Remote'
    assert rebuilt.message == _expected(cls)
    assert int(rebuilt.code) == int(cls.code)


def test_explicit_message_wins_over_the_format():
    exc = exception.Conflict('the group is being deleted', reason='ignored')
    assert exc.message == str(exc) == 'the group is being deleted'
    assert exc.kwargs == {'reason': 'ignored'}
    assert exception.Conflict(*exc.args, **exc.kwargs).message == 'the group is being deleted'


def test_message_is_always_text():
    assert exception.DCManagerException(ValueError('boom')).message == 'boom'


@pytest.mark.parametrize('exc, text', [
    (exception.Forbidden(action='dc_api:subcloud_groups:create'),
     'Policy does not allow dc_api:subcloud_groups:create to be performed.'),
    (exception.InvalidInput(reason='Invalid group name'), 'Invalid group name'),
    (exception.BadRequest(reason='no'), 'Bad request: no'),
    (exception.SubcloudNameTaken(name='sc1'), 'Subcloud with name sc1 already exists'),
    (exception.DCManagerException(), 'An unknown error occurred.'),
])
def test_messages_the_api_answers(exc, text):
    assert exc.message == text


def test_not_found_family():
    assert issubclass(exception.SubcloudGroupNotFound, exception.NotFound)
    assert exception.SubcloudGroupNotFound.code == 404
    assert exception.SubcloudGroupNameTaken.code == 409
    assert exception.SubcloudGroupDefaultNotDeletable.code == 400


def test_allowed_remote_modules_are_importable():
    for name in rpc.ALLOWED_EXMODS:
        __import__(name)
