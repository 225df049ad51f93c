"""Token signing, verification, expiry and key rotation (fernet-like max active keys)."""

import pytest

from dcmanager.simulator import identity

REGION = 'a' * 32


def _issue(ring, lifetime=60, now=1000.0, region=REGION):
    return identity.issue(ring, region, 'user', 'project', ['password'], lifetime, now=now)


def test_a_token_verifies_and_carries_its_claims():
    ring = identity.KeyRing()
    token, payload = _issue(ring)
    verified = identity.verify(ring, REGION, token, now=1001.0)
    assert verified == payload
    assert (verified['u'], verified['p'], verified['m']) == ('user', 'project', ['password'])
    assert verified['e'] - verified['i'] == 60
    assert verified['k'] == ring.primary_id


def test_expired_at_its_expiry():
    ring = identity.KeyRing()
    token, _ = _issue(ring, lifetime=2, now=1000.0)
    identity.verify(ring, REGION, token, now=1001.9)
    with pytest.raises(identity.InvalidToken, match='expired'):
        identity.verify(ring, REGION, token, now=1002.0)


@pytest.mark.parametrize('mangle', [
    lambda t: t[:-2] + ('AA' if not t.endswith('AA') else 'BB'),  # signature
    lambda t: 'x' + t,                                            # payload
    lambda t: t.replace('.', ''),
    lambda t: '',
    lambda t: 'a.b.c',
])
def test_tampered_or_malformed_tokens_are_rejected(mangle):
    ring = identity.KeyRing()
    token, _ = _issue(ring)
    with pytest.raises(identity.InvalidToken):
        identity.verify(ring, REGION, mangle(token), now=1001.0)


def test_another_subclouds_keys_or_region_reject_the_token():
    ring = identity.KeyRing()
    token, _ = _issue(ring)
    with pytest.raises(identity.InvalidToken):
        identity.verify(identity.KeyRing(), REGION, token, now=1001.0)
    with pytest.raises(identity.InvalidToken, match='another subcloud'):
        identity.verify(ring, 'b' * 32, token, now=1001.0)


def test_full_rotation_invalidates_every_outstanding_token():
    ring = identity.KeyRing()
    old, _ = _issue(ring)
    assert ring.rotate() == 2
    assert [kid for kid, _ in ring.keys] == [2]
    with pytest.raises(identity.InvalidToken, match='unknown key'):
        identity.verify(ring, REGION, old, now=1001.0)
    new, payload = _issue(ring)
    assert payload['k'] == 2
    identity.verify(ring, REGION, new, now=1001.0)


def test_rotation_keeping_old_keys_like_max_active_keys():
    ring = identity.KeyRing()
    tokens = []
    for _ in range(3):
        tokens.append(_issue(ring)[0])
        ring.rotate(keep=1)
    # keys now: 4 (primary) and 3; tokens were signed by 1, 2, 3
    assert [kid for kid, _ in ring.keys] == [4, 3]
    identity.verify(ring, REGION, tokens[2], now=1001.0)
    for token in tokens[:2]:
        with pytest.raises(identity.InvalidToken):
            identity.verify(ring, REGION, token, now=1001.0)
    ring.rotate(keep=5)
    assert [kid for kid, _ in ring.keys] == [5, 4, 3]
    with pytest.raises(ValueError):
        ring.rotate(keep=-1)


def test_key_ring_round_trips_through_its_dict_form():
    ring = identity.KeyRing()
    ring.rotate(keep=1)
    token, _ = _issue(ring)
    restored = identity.KeyRing.from_dict(ring.to_dict())
    assert restored.keys == ring.keys
    identity.verify(restored, REGION, token, now=1001.0)
    with pytest.raises(ValueError):
        identity.KeyRing.from_dict([])
    with pytest.raises(ValueError):
        identity.KeyRing.from_dict([{'id': 1, 'key': 'c2hvcnQ'}])


def test_isotime_is_keystone_shaped():
    assert identity.isotime(0.5) == '1970-01-01T00:00:00.500000Z'
