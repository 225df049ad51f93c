"""IP addresses, subnets and address pools of subclouds: parsing with the API's messages, overlap.

The API checks what a request says on its own (an address parses, a pool lies inside its subnet,
start <= end); the database layer checks it against the other subclouds (``overlapping``) inside
the transaction that writes it. Every error is ``InvalidInput`` naming the field, e.g.
``management_start_address invalid: not in the subnet 127.20.1.0/24``.
"""

import functools
import ipaddress

from dcmanager.common import exception

# Smallest subnet and pool a subcloud may be given (reference: 4/1 simplex, 8/3 otherwise).
MIN_SUBNET_SIZE = {'simplex': 4}
MIN_SUBNET_SIZE_DEFAULT = 8
MIN_POOL_SIZE = {'simplex': 1}
MIN_POOL_SIZE_DEFAULT = 3


def _invalid(field, reason):
    return exception.InvalidInput(reason='%s invalid: %s' % (field, reason))


def address(text, field):
    """``text`` as an IPv4Address/IPv6Address; InvalidInput naming ``field`` otherwise."""
    if not isinstance(text, str):
        raise _invalid(field, 'not an IP address')
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise _invalid(field, 'not an IP address') from None


def subnet(text, field, min_size=1):
    """``text`` as a network (host bits allowed, as the reference accepts them)."""
    if not isinstance(text, str) or '/' not in text:
        raise _invalid(field, 'not a subnet (address/prefix)')
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise _invalid(field, 'not a subnet (address/prefix)') from None
    if net.num_addresses < min_size:
        raise _invalid(field, 'subnet too small, it must have at least %d addresses' % min_size)
    return net


def in_subnet(text, net, field):
    """``text`` as an address inside ``net``."""
    value = address(text, field)
    if value.version != net.version or value not in net:
        raise _invalid(field, 'not in the subnet %s' % net)
    return value


def pool(values, names, system_mode):
    """Check a subnet with its address range and gateway together.

    ``names`` are the fields of ``values`` holding (subnet, range start, range end, gateway),
    e.g. the ``management_*_address`` bootstrap values or the ``management_*_ip`` fields of an
    update; messages name them. Returns the four normalised (str).
    """
    subnet_key, start_key, end_key, gateway_key = names
    net = subnet(values[subnet_key], subnet_key,
                 MIN_SUBNET_SIZE.get(system_mode, MIN_SUBNET_SIZE_DEFAULT))
    start = in_subnet(values[start_key], net, start_key)
    end = in_subnet(values[end_key], net, end_key)
    if start > end:
        raise _invalid(start_key, 'greater than %s' % end_key)
    minimum = MIN_POOL_SIZE.get(system_mode, MIN_POOL_SIZE_DEFAULT)
    if int(end) - int(start) + 1 < minimum:
        raise _invalid(end_key, 'the address range must hold at least %d addresses' % minimum)
    gateway = in_subnet(values[gateway_key], net, gateway_key)
    if start <= gateway <= end:
        raise _invalid(gateway_key, 'inside the address range %s-%s' % (start, end))
    return str(net), str(start), str(end), str(gateway)


# The other subclouds' addresses and subnets are parsed once per process, not at every add:
# adding the n-th subcloud compares it with the n - 1 others (a few thousand parses otherwise).
_PARSED = 65536


@functools.lru_cache(maxsize=_PARSED)
def _address_key(text):
    """(IP version, integer) of an address, or None if it does not parse."""
    try:
        value = ipaddress.ip_address(text)
    except ValueError:
        return None
    return value.version, int(value)


@functools.lru_cache(maxsize=_PARSED)
def network_range(text):
    """(IP version, first, last integer address) of a subnet (host bits allowed; a dual-stack
    ``a,b`` value is its first item), or None if it does not parse."""
    try:
        net = ipaddress.ip_network(str(text).split(',')[0].strip(), strict=False)
    except ValueError:
        return None
    return net.version, int(net.network_address), int(net.broadcast_address)


def sort_key(value):
    """An address (an ``ip_address`` or an int with its IP version) as text that sorts as the
    addresses do: IPv4 before IPv6, each by value (``4:7f000001``). What the database compares
    to find an overlap with an index, instead of parsing every other subcloud's addresses."""
    version, number = value
    return '%d:%0*x' % (version, 8 if version == 4 else 32, number)


def range_keys(start, end):
    """(first, last) sort keys of the address range ``start``-``end`` (str), or None when one of
    them does not parse or they are of two IP versions."""
    lo, hi = _address_key(start or ''), _address_key(end or '')
    if lo is None or hi is None or lo[0] != hi[0]:
        return None
    return sort_key(lo), sort_key(hi)


def subnet_keys(text):
    """(first, last) sort keys of the subnet ``text`` (as network_range reads it), or None."""
    parsed = network_range(text or '')
    if parsed is None:
        return None
    version, first, last = parsed
    return sort_key((version, first)), sort_key((version, last))


def overlapping(start, end, ranges):
    """The first ``(key, other_start, other_end)`` of ``ranges`` whose address range overlaps
    ``start``-``end`` (all str; ranges of another IP version or unparsable never overlap), or
    None."""
    lo, hi = _address_key(start), _address_key(end)
    for key, other_start, other_end in ranges:
        if not other_start or not other_end:
            continue
        other_lo, other_hi = _address_key(other_start), _address_key(other_end)
        if other_lo is None or other_hi is None or other_lo[0] != lo[0]:
            continue
        if other_lo[1] <= hi[1] and lo[1] <= other_hi[1]:
            return key, other_start, other_end
    return None


def subnet_overlapping(text, subnets):
    """The first ``(key, subnet)`` of ``subnets`` that overlaps the subnet ``text`` (another IP
    version, or what does not parse, never does), or None."""
    mine = network_range(text)
    if mine is None:
        return None
    for key, other in subnets:
        theirs = network_range(other or '')
        if theirs is not None and theirs[0] == mine[0] and theirs[1] <= mine[2] and \
                mine[1] <= theirs[2]:
            return key, other
    return None
