"""What the two-site fault and partition tests check after every step, and the calls they share.

``one_leader(sites, groups, up)``, the invariant of geo-redundancy, on each site's own belief:

- each site's view of a group is read from its API when it runs and answers (``up``), and from
  its database file (``Site.read_database``) while it is down or hangs: what it believes, and
  acts on once it answers again;
- a site believes it leads a group when its view's leader is its own system UUID. Of all the
  views, at most one site believes it leads in the newest leader term among them. A site
  cut off from its peer (down, hung, or only unable to reach it) may still believe in an
  older term's leadership: that is what the fence is for (its writes to the peer carry the
  older term and are refused), and it cannot learn the newer term before it reaches the peer;
- a subcloud (by region name) is never ``managed`` on two sites at once, and this is where an
  old leader's belief must not turn into acts: every running site's view counts as it is (an
  old leader that runs must have released what the new one manages); a down or hung site's
  database counts for the groups it holds in the newest term (a row of an older term is the
  fenced belief above: the check of the step where that site answers again reads its API).

``Seen`` keeps every answer body, for the check that no password is in any of them.
"""

from tests import subcloud_forms as forms
from tests import waiting

GROUP_COLUMNS = ('system_leader_id', 'leader_term', 'migration_status')
TRANSITORY = ('pre-rehome', 'rehoming')


def wait(what, check, timeout=60.0, seen=None):
    """Poll ``check`` until it is true; ``seen()`` says what there was when it never was."""
    return waiting.until(what, check, timeout, interval=0.3, seen=seen)


class Seen:
    """Every answer body fetched, to check that no password is in any of them."""

    bodies = []

    @classmethod
    def call(cls, site, method, path, **kwargs):
        resp = site.call(method, path, **kwargs)
        cls.bodies.append(resp.text)
        return resp

    @classmethod
    def get(cls, site, path):
        return cls.call(site, 'GET', path).json()


def patch_subcloud(site, ref, fields, files=None, expect=200):
    body, content_type = forms.cli_multipart(fields, files)
    return Seen.call(site, 'PATCH', 'subclouds/%s' % ref, data=body, expect=expect,
                     headers={'Content-Type': content_type, 'Accept': 'application/json'})


def associate_in_sync(site, group, peer):
    """Associate ``group`` of ``site`` with its system ``peer`` (priority 2) and wait until the
    sync is done: it must be ``in-sync``."""
    assoc = Seen.call(site, 'POST', 'peer-group-associations', json={
        'peer_group_id': str(group['id']), 'system_peer_id': str(peer['id']),
        'peer_group_priority': '2'}).json()
    done = wait('in-sync', lambda: (lambda x: x if x['sync-status'] != 'syncing' else None)(
        Seen.get(site, 'peer-group-associations/%d' % assoc['id'])))
    assert done['sync-status'] == 'in-sync', done['sync-message']
    return done


def group(site, ref):
    return Seen.get(site, 'subcloud-peer-groups/%s' % ref)


def members(site, ref):
    return {s['region-name']: s for s in Seen.get(
        site, 'subcloud-peer-groups/%s/subclouds' % ref)['subclouds']}


def migrate(site, ref, expect=200):
    return Seen.call(site, 'PATCH', 'subcloud-peer-groups/%s/migrate' % ref, expect=expect,
                     json={'sysadmin_password': forms.b64(forms.SYSADMIN_PASSWORD)}).json()


def migrated(site, ref, term, timeout=120):
    """Wait until ``site`` says its migration of ``ref`` is complete in leader term ``term``."""
    return wait('%s migrated by %s in term %d' % (ref, site.name, term), lambda: (
        lambda g: g if g['migration_status'] == 'complete' and g['leader_term'] == term
        else None)(group(site, ref)), timeout=timeout, seen=lambda: group(site, ref))


def _view_from_database(site, uuid_):
    rows = site.read_database(
        'SELECT id, system_leader_id, leader_term, migration_status FROM subcloud_peer_group '
        'WHERE peer_group_uuid = :uuid', uuid=uuid_)
    if not rows:
        return None, {}
    row = rows[0]
    subclouds = site.read_database(
        'SELECT region_name, management_state, deploy_status FROM subclouds '
        'WHERE peer_group_id = :id', id=row['id'])
    return row, {s['region_name']: s for s in subclouds}


def views(sites, uuid_, up):
    """{site name: (group view, {region: member view})}: from the API of the sites in ``up``,
    from the database of the others; each view a dict with ``system_leader_id``,
    ``leader_term``, ``management_state`` (members), ``deploy_status`` (members)."""
    out = {}
    for site in sites:
        if site in up:
            g = group(site, uuid_)
            ms = {region: {'management_state': m['management-state'],
                           'deploy_status': m['deploy-status']}
                  for region, m in members(site, uuid_).items()}
            out[site.name] = ({k: g[k] for k in GROUP_COLUMNS}, ms)
        else:
            out[site.name] = _view_from_database(site, uuid_)
    return out


def one_leader(sites, uuids, up):
    """The invariant (see the module): at most one site leads each group of ``uuids`` and no
    subcloud is managed on two sites; ``up`` the sites that run and answer now."""
    for uuid_ in uuids:
        seen = views(sites, uuid_, up)
        held = {s.name: seen[s.name][0] for s in sites if seen[s.name][0] is not None}
        newest = max(g['leader_term'] for g in held.values())
        believers = [s for s in sites if s.name in held and
                     (held[s.name]['system_leader_id'] or '').lower() == s.system_uuid.lower()]
        in_newest = [s.name for s in believers if held[s.name]['leader_term'] == newest]
        assert len(in_newest) <= 1, ('two sites lead %s in term %d' % (uuid_, newest), seen)
        managed = {}
        for s in sites:
            view, ms = seen[s.name]
            if view is None or (s not in up and view['leader_term'] < newest):
                continue
            for region, m in ms.items():
                if m['management_state'] == 'managed':
                    managed.setdefault(region, []).append(s.name)
        twice = {r: names for r, names in managed.items() if len(names) > 1}
        assert not twice, ('managed on both sites', twice, seen)
    return True


def nothing_transitory(sites, uuids):
    """No member of the groups is pre-rehome or rehoming, no group migrating, on any site."""
    for uuid_ in uuids:
        for site in sites:
            g = group(site, uuid_)
            assert g['migration_status'] != 'migrating', (site.name, g)
            stuck = {r: m['deploy-status'] for r, m in members(site, uuid_).items()
                     if m['deploy-status'] in TRANSITORY}
            assert not stuck, (site.name, stuck)


def no_password_anywhere(sites):
    clear = list(forms.ALL_PASSWORDS) + [
        site.keystone.users['dc-peer'].password for site in sites]
    secrets = clear + [forms.b64(secret) for secret in clear]
    texts = Seen.bodies + [site.log_text() for site in sites]
    for secret in secrets:
        assert not [t for t in texts if secret in t], 'a password is in an answer or a log'
