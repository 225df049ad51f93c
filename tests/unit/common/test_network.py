"""dcmanager.common.network: address pools and their overlap."""

import ipaddress
import random

import pytest

from dcmanager.common import exception, network

KEYS = ('s', 'a', 'b', 'g')


def _pool(subnet, start, end, gateway, mode='duplex'):
    return network.pool({'s': subnet, 'a': start, 'b': end, 'g': gateway}, KEYS, mode)


def test_pool_is_normalised():
    assert _pool('127.20.1.9/24', ' 127.20.1.2', '127.20.1.50', '127.20.1.1') == (
        '127.20.1.0/24', '127.20.1.2', '127.20.1.50', '127.20.1.1')


def test_ipv6_pool():
    assert _pool('fd01::/64', 'fd01::2', 'fd01::50', 'fd01::1')[0] == 'fd01::/64'


@pytest.mark.parametrize('args,message', [
    (('127.20.1.0', '127.20.1.2', '127.20.1.50', '127.20.1.1'),
     's invalid: not a subnet (address/prefix)'),
    (('127.20.1.0/30', '127.20.1.1', '127.20.1.2', '127.20.1.3', 'duplex'),
     's invalid: subnet too small, it must have at least 8 addresses'),
    (('127.20.1.0/24', 'fd01::2', '127.20.1.50', '127.20.1.1'),
     'a invalid: not in the subnet 127.20.1.0/24'),
    (('127.20.1.0/24', '127.20.1.2', '127.20.1.3', '127.20.1.1'),
     'b invalid: the address range must hold at least 3 addresses'),
    (('127.20.1.0/24', '127.20.1.9', '127.20.1.3', '127.20.1.1'),
     'a invalid: greater than b'),
    (('127.20.1.0/24', '127.20.1.2', '127.20.1.50', '127.20.1.2'),
     'g invalid: inside the address range 127.20.1.2-127.20.1.50'),
    (('127.20.1.0/24', '127.20.1.2', '127.20.1.50', 7),
     'g invalid: not an IP address'),
])
def test_pool_errors_name_the_field(args, message):
    with pytest.raises(exception.InvalidInput) as info:
        _pool(*args)
    assert info.value.message == message


def test_simplex_may_be_small():
    assert _pool('127.20.1.0/30', '127.20.1.1', '127.20.1.1', '127.20.1.2', 'simplex')


@pytest.mark.parametrize('start,end,clash', [
    ('127.20.1.51', '127.20.1.60', None),
    ('127.20.1.1', '127.20.1.1', None),
    ('127.20.1.50', '127.20.1.60', 'sc1'),
    ('127.20.1.1', '127.20.1.2', 'sc1'),
    ('127.20.1.10', '127.20.1.20', 'sc1'),
    ('127.20.1.0', '127.20.1.255', 'sc1'),
    ('::1', '::2', None),
])
def test_overlapping(start, end, clash):
    ranges = [('sc1', '127.20.1.2', '127.20.1.50'), ('sc2', None, None),
              ('sc3', 'garbage', '127.20.1.9')]
    found = network.overlapping(start, end, ranges)
    assert (found and found[0]) == clash


def test_sort_keys_sort_as_the_addresses():
    # What the database compares instead of the addresses: IPv4 before IPv6, each by value.
    rng = random.Random(11)
    addresses = [ipaddress.ip_address(rng.getrandbits(32)) for _ in range(300)] + [
        ipaddress.ip_address(rng.getrandbits(128)) for _ in range(300)] + [
        ipaddress.ip_address(n) for n in (0, 1, 2 ** 32 - 1)] + [
        ipaddress.IPv6Address(n) for n in (0, 1, 2 ** 32, 2 ** 128 - 1)]
    ordered = sorted(addresses, key=lambda a: (a.version, int(a)))
    keys = [network.sort_key((a.version, int(a))) for a in ordered]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert network.sort_key((4, 0x7f000001)) == '4:7f000001'


@pytest.mark.parametrize('start,end,subnet', [
    ('127.20.1.2', '127.20.1.50', '127.20.1.0/24'),
    ('fd01:2::2', 'fd01:2::50', 'fd01:2::/64'),
])
def test_range_and_subnet_keys(start, end, subnet):
    first, last = network.range_keys(start, end)
    assert first < last
    lo, hi = network.subnet_keys(subnet)
    assert lo < first and last < hi
    assert network.subnet_keys(subnet + ',fd00::/64') == (lo, hi)


@pytest.mark.parametrize('start,end', [('garbage', '127.0.0.1'), ('127.0.0.1', '::1'),
                                       ('', '127.0.0.1'), (None, None)])
def test_range_keys_of_what_does_not_parse_are_none(start, end):
    assert network.range_keys(start, end) is None


@pytest.mark.parametrize('subnet', ['garbage', '', None, '127.0.0.0/33'])
def test_subnet_keys_of_what_does_not_parse_are_none(subnet):
    assert network.subnet_keys(subnet) is None
