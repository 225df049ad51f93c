"""dcmanager.api.body_limit: a stream of unknown length is never read beyond the limit."""

import io

import pytest

from dcmanager.api import body_limit
from dcmanager.common import exception


def _bounded(data, limit):
    stream = io.BytesIO(data)
    return stream, body_limit._BoundedInput(stream, limit)


def test_reads_up_to_the_limit():
    _, bounded = _bounded(b'x' * 10, 10)
    assert bounded.read(4) == b'xxxx'
    assert bounded.read() == b'x' * 6
    assert bounded.read() == b''


@pytest.mark.parametrize('read', [
    lambda s: s.read(), lambda s: s.read(1000), lambda s: [s.read(3) for _ in range(5)],
    lambda s: [s.readline() for _ in range(5)], lambda s: s.readlines(), lambda s: list(s)])
def test_the_read_that_passes_the_limit_raises_and_reads_one_byte_more_at_most(read):
    stream, bounded = _bounded(b'line\n' * 1000, 10)
    with pytest.raises(exception.RequestBodyTooLarge) as info:
        read(bounded)
    assert info.value.code == 413
    assert stream.tell() <= 11
