"""Sort keys of each subcloud's management range and management subnet, and an index on its
bootstrap address: the checks that a new subcloud's addresses clash with no other subcloud's
become index lookups (they parsed every other subcloud's addresses, so that adding the N-th
subcloud cost in proportion to N).

A key is the address as text that sorts as the addresses do (``4:7f000001``, IPv4 before IPv6;
``dcmanager.common.network.sort_key``); existing subclouds get theirs here. Columns are added
(no rebuild of ``subclouds``: its list row triggers stay).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 21:40:00
"""

import ipaddress

from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_KEYS = ('management_first_key', 'management_last_key', 'management_subnet_first_key',
         'management_subnet_last_key')


def _key(address):
    return '%d:%0*x' % (address.version, 8 if address.version == 4 else 32, int(address))


def _range_keys(start, end):
    try:
        first, last = ipaddress.ip_address(start or ''), ipaddress.ip_address(end or '')
    except ValueError:
        return None, None
    if first.version != last.version:
        return None, None
    return _key(first), _key(last)


def _subnet_keys(text):
    try:
        net = ipaddress.ip_network(str(text or '').split(',')[0].strip(), strict=False)
    except ValueError:
        return None, None
    return _key(net.network_address), _key(net.broadcast_address)


def upgrade():
    for name in _KEYS:
        op.add_column('subclouds', sa.Column(name, sa.String(length=40), nullable=True))
    op.create_index('ix_subclouds_management_keys', 'subclouds',
                    ['management_first_key', 'management_last_key'])
    op.create_index('ix_subclouds_management_subnet_keys', 'subclouds',
                    ['management_subnet_first_key', 'management_subnet_last_key'])
    op.create_index('ix_subclouds_bootstrap_address', 'subclouds', ['bootstrap_address'])
    bind = op.get_bind()
    rows = bind.execute(sa.text('SELECT id, management_start_ip, management_end_ip, '
                                'management_subnet FROM subclouds')).all()
    values = [dict(zip(_KEYS, _range_keys(start, end) + _subnet_keys(subnet), strict=True),
                   id=subcloud_id)
              for subcloud_id, start, end, subnet in rows]
    if values:
        bind.execute(sa.text('UPDATE subclouds SET %s WHERE id = :id'
                             % ', '.join('%s = :%s' % (name, name) for name in _KEYS)), values)
