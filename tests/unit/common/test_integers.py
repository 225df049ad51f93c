"""dcmanager.common.integers: the one parser of integers and id references from the wire."""

import pytest

from dcmanager.common import integers

OUT = integers.INT_MAX + 1


@pytest.mark.parametrize('text, value', [
    ('0', 0), ('7', 7), ('007', 7), (' 12 ', 12), ('-3', -3), ('-0', 0),
    (str(integers.INT_MAX), integers.INT_MAX), (str(OUT), OUT), (str(2 ** 64), OUT),
    ('9' * 5000, OUT), ('-' + '9' * 5000, -OUT), ('0' * 5000 + '5', 5),
])
def test_parse(text, value):
    assert integers.parse(text) == value


@pytest.mark.parametrize('text', ['', ' ', '¹', '１', '٣', '1１', '+3', '--3', '3a', '0x10',
                                  '1e3', '1.0', '1 2', '-'])
def test_parse_refuses_what_is_not_ascii_digits(text):
    assert integers.parse(text) is None


@pytest.mark.parametrize('ref, value', [
    ('1', 1), (1, 1), ('0042', 42), (str(integers.INT_MAX), integers.INT_MAX),
    (str(OUT), 0), ('9' * 5000, 0), (10 ** 30, 0), ('0', 0),
])
def test_ref_id_of_digits(ref, value):
    assert integers.ref_id(ref) == value


@pytest.mark.parametrize('ref', ['edge', '１', '¹', ' 1', '1 ', '-1', -1, '+1', 'sc1', ''])
def test_ref_id_of_a_name_is_none(ref):
    assert integers.ref_id(ref) is None
