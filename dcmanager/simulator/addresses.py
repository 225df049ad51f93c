"""Loopback address arithmetic and the stable per-address identifiers of simulated subclouds.

Subcloud ``i`` listens on the ``i``-th usable address counted from the first one. Host parts .0 and
.255 are skipped (network and broadcast addresses of a /24 are surprising to see as a subcloud's
address, and some tools refuse them), so 127.0.1.254 is followed by 127.0.2.1. Only 127.0.0.0/8 is
ever accepted: the simulator must never listen on or talk to a real network.
"""

import hashlib
import ipaddress

LOOPBACK = ipaddress.IPv4Network('127.0.0.0/8')
_HOSTS_PER_BLOCK = 254  # .1 … .254 of each /24


class AddressError(ValueError):
    """An address outside 127.0.0.0/8, or a range that does not fit in it."""


def loopback(text):
    """Parse ``text`` as an IPv4 address inside 127.0.0.0/8, else raise AddressError."""
    try:
        address = ipaddress.IPv4Address(str(text).strip())
    except ValueError:
        raise AddressError('%r is not an IPv4 address' % (text,)) from None
    if address not in LOOPBACK:
        raise AddressError('%s is not a loopback address (127.0.0.0/8 only)' % address)
    return address


def nth(first, index):
    """The ``index``-th (0-based) usable address counting from ``first`` (skipping .0 and .255)."""
    first = loopback(first)
    if index < 0:
        raise AddressError('negative subcloud index %d' % index)
    host = int(first) & 0xFF
    if host in (0, 255):
        raise AddressError('the first address %s must not end in .0 or .255' % first)
    offset = host - 1 + index
    block, host = divmod(offset, _HOSTS_PER_BLOCK)
    value = (int(first) & ~0xFF) + block * 256 + host + 1
    if value > int(LOOPBACK.broadcast_address):
        raise AddressError('subcloud %d would fall outside 127.0.0.0/8' % index)
    return ipaddress.IPv4Address(value)


def fleet(first, count):
    """The ``count`` addresses of a fleet starting at ``first``, as strings."""
    if count < 1:
        raise AddressError('the fleet needs at least one subcloud')
    nth(first, count - 1)  # fail before building anything if the range overflows
    return [str(nth(first, i)) for i in range(count)]


def region_name(address):
    """The subcloud's region name: 32 hex characters, a pure function of its address."""
    seed = b'dcmanager-subcloud-sim:region:' + str(address).encode()
    return hashlib.sha256(seed).hexdigest()[:32]


def stable_id(address, kind):
    """A Keystone-style id (32 hex) for the user/project/role ``kind`` of a subcloud."""
    seed = 'dcmanager-subcloud-sim:%s:%s' % (kind, address)
    return hashlib.sha256(seed.encode()).hexdigest()[:32]
