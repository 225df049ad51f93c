"""No stored password is ever shown: not in an answer, a log record, an RPC payload or a row.

Every kind of password the API accepts is written, as the real CLI writes it, with a value of
its own (so a failure names the password that leaked): a subcloud's sysadmin and BMC passwords
(base64 form fields of add, update and redeploy), the ``admin_password`` and a registry password
of its bootstrap values (they end up in its rehome data, less the secrets), the BMC password of
its install values, a system peer's manager password (create and update) and the secondary
copy's passwords the peer site sends. Then every GET route of the OpenAPI document is read with
every ref ``written`` gives its path parameters, and the answers of the writes themselves and
of their refusals (400, 409) are kept: none may hold a password in clear or in an obvious
encoding (base64 at any alignment, urlsafe base64, hex, percent-encoding). Every log record
emitted meanwhile (the API's, the manager's, the outbound clients' and SQLAlchemy's, at DEBUG,
with their arguments), every RPC argument and answer as sent, and every text column of every
table are searched the same way.

A new GET route fails the walk until its path parameter has a line of refs in ``written``; a new
password is one entry of ``SECRETS`` and one write in a ``_write_*`` function.
"""

import base64
import binascii
import json
import logging
import re
import urllib.parse
import uuid

import pytest
import sqlalchemy as sa
import yaml

from dcmanager import objects
from dcmanager.api import openapi
from dcmanager.api.controllers import root
from dcmanager.common import crypto, rpc, states
from dcmanager.db import api as db_api
from dcmanager.db.sqlalchemy import models
from tests import harness
from tests import subcloud_forms as forms

JSON = forms.JSON
SUBCLOUDS = forms.BASE
PEERS = '/v1.0/system-peers'
PEER_GROUPS = '/v1.0/subcloud-peer-groups'
ASSOCIATIONS = '/v1.0/peer-group-associations'
PEER_UUID = str(uuid.uuid4())
REGION = 'e' * 32

# One distinct password per place a password enters (a '*' so that percent-encoding shows).
SECRETS = {
    'add sysadmin_password': 'Sys*Add-Quokka-41',
    'add bmc_password': 'Bmc*Add-Narwhal-42',
    'add admin_password': 'Adm*Add-Zebra-43',
    'add registry password': 'Reg*Add-Axolotl-44',
    'add install bmc_password': 'Ins*Add-Ibex-45',
    'json add sysadmin_password': 'Sys*Json-Marmot-46',
    'json add admin_password': 'Adm*Json-Lemur-47',
    'json update sysadmin_password': 'Sys*Jupd-Vole-62',
    'update sysadmin_password': 'Sys*Upd-Tapir-48',
    'update bmc_password': 'Bmc*Upd-Dugong-49',
    'update admin_password': 'Adm*Upd-Okapi-50',
    'redeploy sysadmin_password': 'Sys*Rdp-Gecko-51',
    'redeploy bmc_password': 'Bmc*Rdp-Bison-52',
    'redeploy admin_password': 'Adm*Rdp-Koala-53',
    'redeploy install bmc_password': 'Ins*Rdp-Puffin-54',
    'refused sysadmin_password': 'Sys*Bad-Walrus-55',
    'peer manager_password': 'Peer*Add-Heron-56',
    'peer update manager_password': 'Peer*Upd-Egret-57',
    'duplicate peer manager_password': 'Peer*Dup-Crane-58',
    'secondary sysadmin_password': 'Sys*Sec-Otter-59',
    'secondary bmc_password': 'Bmc*Sec-Mink-60',
    'secondary admin_password': 'Adm*Sec-Stoat-61',
    'secondary update admin_password': 'Adm*Sec-Upd-Civet-63',
}


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _b64_cores(data, encode):
    """The base64 characters that depend on ``data`` alone, at each of the three alignments it
    can have inside a longer encoded text."""
    cores = []
    for offset in range(3):
        encoded = encode(b'\0' * offset + data).decode().rstrip('=')
        start = -(-8 * offset // 6)
        cores.append(encoded[start:8 * (offset + len(data)) // 6])
    return cores


def _forms_of(password):
    """``password`` in clear and in every obvious encoding."""
    data = password.encode()
    return {password, urllib.parse.quote(password), urllib.parse.quote_plus(password),
            binascii.hexlify(data).decode(), binascii.hexlify(data).decode().upper(),
            *_b64_cores(data, base64.b64encode), *_b64_cores(data, base64.urlsafe_b64encode)}


KIND_OF_FORM = {form: kind for kind, password in SECRETS.items()
                for form in _forms_of(password)}
# One search for all of them (the log records are thousands); longest first.
LEAK = re.compile('|'.join(re.escape(form) for form in sorted(KIND_OF_FORM, key=len,
                                                              reverse=True)))


def _leaks(text):
    """[(kind, form)] of every password found in ``text``."""
    return [(KIND_OF_FORM[m.group()], m.group()) for m in LEAK.finditer(text)]


def test_the_encodings_find_a_password_inside_a_longer_encoded_text():
    # What the search relies on: a password base64-encoded with whatever surrounds it.
    for prefix in ('', 'a', 'ab', 'abc'):
        text = 'admin_password: %s\n' % SECRETS['add admin_password']
        for encode in (base64.b64encode, base64.urlsafe_b64encode, binascii.hexlify):
            assert ('add admin_password' in
                    {kind for kind, _ in _leaks(encode((prefix + text).encode()).decode())})
    assert _leaks(urllib.parse.quote('x%sy' % SECRETS['add bmc_password'])) != []
    assert _leaks('nothing secret here') == []


# ------------------------------------------------------------------ the writes

def _bootstrap(name, n, admin, registry=None):
    values = forms.bootstrap_values(name, n, admin_password=SECRETS[admin])
    if registry is not None:
        values['docker_registries']['defaults']['password'] = SECRETS[registry]
    return ('obs/bootstrap-%s.yaml' % name, yaml.safe_dump(values))


def _install(kind):
    return ('obs/install.yaml', yaml.safe_dump({
        'bootstrap_interface': 'eno1', 'bmc_address': '127.0.4.1', 'bmc_username': 'root',
        'bmc_password': SECRETS[kind]}))


def _add_form(name, n):
    """The multipart add of subcloud ``name`` with every password add takes."""
    form, files = forms.add_request(
        name, n, sysadmin_password=_b64(SECRETS['add sysadmin_password']),
        bmc_password=_b64(SECRETS['add bmc_password']),
        files={'install_values': _install('add install bmc_password')})
    files['bootstrap_values'] = _bootstrap(name, n, 'add admin_password',
                                           'add registry password')
    return form, files


def _write_subclouds(api, ctx, answers):
    """sc1 (multipart add, update), sc2 (JSON add, JSON update, redeploy), refusals."""
    form, files = _add_form('sc1', 1)
    sc1 = forms.post_add(api, form, files)
    answers.append(sc1)
    answers.append(forms.post_add(api, *_add_form('sc1', 4), status=409, headers=JSON))
    bad = dict(form, sysadmin_password=SECRETS['refused sysadmin_password'])
    answers.append(forms.post_add(api, bad, files, status=400, headers=JSON))
    json_form, _ = forms.add_request('sc2', 2, sysadmin_password=_b64(
        SECRETS['json add sysadmin_password']))
    json_form['bootstrap_values'] = forms.bootstrap_values(
        'sc2', 2, admin_password=SECRETS['json add admin_password'])
    sc2 = api.post_json(SUBCLOUDS, json_form)
    answers.append(sc2)
    for sc in (sc1, sc2):
        forms.wait_settled(api, sc.json['id'])
    answers.append(api.patch_json('%s/sc2' % SUBCLOUDS, {
        'sysadmin_password': _b64(SECRETS['json update sysadmin_password'])}))
    answers.append(_redeploy(api, 'sc2'))
    forms.wait_settled(api, sc2.json['id'])
    db_api.subcloud_update(ctx, sc1.json['id'], {
        'deploy_status': states.DEPLOY_COMPLETE, 'availability_status': states.ONLINE,
        'region_name': 'a' * 32, 'error_description': states.DEFAULT_ERROR_DESCRIPTION})
    answers.append(forms.patch_form(api, 'sc1', {
        'sysadmin_password': _b64(SECRETS['update sysadmin_password']),
        'bmc_password': _b64(SECRETS['update bmc_password'])}, files={
        'bootstrap_values': _bootstrap('sc1', 1, 'update admin_password')}))
    answers.append(forms.patch_form(api, 'sc1', {'management-state': 'managed'}))
    answers.append(forms.patch_form(api, 'sc1', {'bmc_password': 'not base64!'}, status=400,
                                    headers=JSON))
    return sc1.json, sc2.json


def _redeploy(api, ref):
    body, content_type = forms.cli_multipart({
        'sysadmin_password': _b64(SECRETS['redeploy sysadmin_password']),
        'bmc_password': _b64(SECRETS['redeploy bmc_password'])}, {
        'bootstrap_values': _bootstrap(ref, 2, 'redeploy admin_password'),
        'install_values': _install('redeploy install bmc_password')})
    return api.patch('%s/%s/redeploy' % (SUBCLOUDS, ref), body,
                     headers={'Content-Type': content_type})


def _peer_body(url, password, **changes):
    return dict({'peer_uuid': PEER_UUID, 'peer_name': 'site-b', 'manager_endpoint': url,
                 'manager_username': 'admin', 'manager_password': _b64(SECRETS[password]),
                 'peer_controller_gateway_address': '127.0.2.1'}, **changes)


def _write_geo(api, answers, peer_url):
    """A system peer (create, update, refusals), a peer group sc1 joins, their association."""
    peer = api.post_json(PEERS, _peer_body(peer_url, 'peer manager_password'))
    answers.append(peer)
    answers.append(api.post_json(PEERS, _peer_body(peer_url, 'duplicate peer manager_password'),
                                 headers=JSON, status=409))
    answers.append(api.patch_json('%s/%d' % (PEERS, peer.json['id']), {
        'manager_password': _b64(SECRETS['peer update manager_password'])}))
    answers.append(api.patch_json('%s/%d' % (PEERS, peer.json['id']), {
        'manager_password': _b64(SECRETS['duplicate peer manager_password']),
        'heartbeat_interval': '1'}, headers=JSON, status=400))
    group = api.post_json(PEER_GROUPS, {'peer-group-name': 'pg1'})
    answers.append(group)
    answers.append(forms.patch_form(api, 'sc1', {'peer_group': 'pg1'}))
    assoc = api.post_json(ASSOCIATIONS, {'peer_group_id': str(group.json['id']),
                                         'system_peer_id': str(peer.json['id']),
                                         'peer_group_priority': '2'})
    answers.append(assoc)
    answers.append(api.patch_json('%s/%d/sync' % (ASSOCIATIONS, assoc.json['id']), {},
                                  headers=JSON, expect_errors=True))
    return peer.json, group.json, assoc.json


def _write_secondary(answers):
    """The peer site's copy of one of its subclouds (the peer role alone writes it)."""
    peer_site = harness.app_as('dcmanager-peer', project_name='services')
    form, files = forms.add_request(
        'sc3', 3, secondary='true', region_name=REGION,
        sysadmin_password=_b64(SECRETS['secondary sysadmin_password']),
        bmc_password=_b64(SECRETS['secondary bmc_password']))
    files['bootstrap_values'] = _bootstrap('sc3', 3, 'secondary admin_password')
    answers.append(forms.post_add(peer_site, form, files))
    answers.append(forms.patch_form(peer_site, REGION, {'region_name': REGION}, files={
        'bootstrap_values': _bootstrap('sc3', 3, 'secondary update admin_password')}))
    return peer_site


def _check_stored(ctx, api, peer_id):
    """The writes took: the last password of each kind is the one stored (so the search below
    looks for the passwords that are really there), and sc1 is a member of pg1."""
    stored = {name: objects.Subcloud.get_secrets(ctx, api.get('%s/%s' % (SUBCLOUDS, name))
                                                 .json['id'])
              for name in ('sc1', 'sc2', 'sc3')}
    assert stored == {
        'sc1': {key: SECRETS['update ' + key]
                for key in ('sysadmin_password', 'bmc_password', 'admin_password')},
        'sc2': {key: SECRETS['redeploy ' + key]
                for key in ('sysadmin_password', 'bmc_password', 'admin_password')},
        'sc3': {'sysadmin_password': SECRETS['secondary sysadmin_password'],
                'bmc_password': SECRETS['secondary bmc_password'],
                'admin_password': SECRETS['secondary update admin_password']}}
    with db_api.get_engine().connect() as conn:
        ciphertext = conn.execute(sa.select(models.SystemPeer.manager_password)
                                  .where(models.SystemPeer.id == peer_id)).scalar_one()
    assert crypto.decrypt(ciphertext) == SECRETS['peer update manager_password']
    members = api.get('%s/pg1/subclouds' % PEER_GROUPS).json['subclouds']
    assert [member['name'] for member in members] == ['sc1']


def _log_everything(caplog):
    """Every logger at DEBUG for this test, whatever an earlier test or oslo.log's default
    levels set (SQLAlchemy's statements and their parameters included)."""
    caplog.set_level(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level > logging.DEBUG:
            caplog.set_level(logging.DEBUG, logger=name)


@pytest.fixture
def written(api, ctx, caplog, refused_peer_url):
    """Every password written; the answers of the writes and the refs of what they made."""
    _log_everything(caplog)
    answers = []
    with forms.unreachable_subclouds():
        sc1, sc2 = _write_subclouds(api, ctx, answers)
        peer, group, assoc = _write_geo(api, answers, refused_peer_url)
        peer_site = _write_secondary(answers)
    _check_stored(ctx, api, peer['id'])
    refs = {
        'ref': [str(sc1['id']), 'sc1', 'sc2', 'sc3', REGION],
        'group_ref': [str(states.DEFAULT_GROUP_ID), states.DEFAULT_GROUP_NAME],
        'peer_group_ref': [str(group['id']), 'pg1'],
        'peer_ref': [str(peer['id']), PEER_UUID, 'site-b'],
        'association_ref': [str(assoc['id'])],
    }
    return {'answers': answers, 'refs': refs, 'readers': (api, peer_site)}


# ------------------------------------------------------------------ the reads

def _urls(refs):
    """Every GET route of the OpenAPI document with each of its refs."""
    urls = []
    for path, method in openapi.routes(root.RootController()):
        if method != 'get':
            continue
        names = re.findall(r'\{(\w+)\}', path)
        missing = [name for name in names if name not in refs]
        assert not missing, 'add the refs of %s to written()' % missing
        candidates = [path]
        for name in names:
            candidates = [c.replace('{%s}' % name, ref) for c in candidates
                          for ref in refs[name]]
        urls.extend(candidates)
    return urls


def _read_everything(written):
    """The answers of the writes and of every GET route read with every ref."""
    texts = [resp.text for resp in written['answers']]
    urls = _urls(written['refs'])
    assert len(urls) > 30
    # The operator reads everything; the peer site what its role allows (a 403 is read too).
    for reader, allowed in zip(written['readers'], ((200,), (200, 403)), strict=True):
        for url in urls:
            resp = reader.get(url, headers=JSON, expect_errors=True)
            assert resp.status_int in allowed, (url, resp.status, resp.text[:300])
            texts.append(resp.text)
    return texts


def test_no_answer_shows_a_password(written):
    for text in _read_everything(written):
        assert _leaks(text) == [], text[:500]


def _record_texts(record):
    texts = [record.getMessage(), repr(record.args), record.exc_text or '',
             record.stack_info or '']
    if record.exc_info:
        texts.append(logging.Formatter().formatException(record.exc_info))
    texts.extend(repr(value) for value in vars(record).values())
    return texts


def test_no_log_record_holds_a_password(written, caplog):
    _read_everything(written)
    records = caplog.get_records('setup') + caplog.get_records('call')
    logged = {record.name.split('.')[0] for record in records}
    # The API's, the manager's, the outbound clients' and the database's records are there.
    assert {'dcmanager', 'oslo_policy', 'keystoneauth', 'sqlalchemy'} <= logged, logged
    for record in records:
        assert _leaks('\n'.join(_record_texts(record))) == [], (record.name,
                                                                 record.getMessage())


@pytest.fixture
def rpc_payloads(monkeypatch):
    """Every argument and answer the API and the manager put on the RPC bus, as sent (the
    serializer's primitives), recorded by a pass-through around the real serializer."""
    sent = []
    serialize = rpc.RequestContextSerializer.serialize_entity

    def recording(self, ctxt, entity):
        primitive = serialize(self, ctxt, entity)
        sent.append(json.dumps(primitive, default=repr))
        return primitive

    monkeypatch.setattr(rpc.RequestContextSerializer, 'serialize_entity', recording)
    return sent


def test_no_rpc_payload_holds_a_password(rpc_payloads, written):
    # The passwords do cross the bus, as the ciphertexts the API made before its call.
    ciphertexts = [json.loads(text) for text in rpc_payloads if text.startswith('"gAAAAA')]
    decrypted = '\n'.join(crypto.decrypt(ciphertext) for ciphertext in ciphertexts)
    for kind in ('update admin_password', 'redeploy bmc_password',
                 'peer update manager_password', 'secondary sysadmin_password'):
        assert SECRETS[kind] in decrypted
    for text in rpc_payloads:
        assert _leaks(text) == [], text[:500]


def test_no_row_holds_a_password(written):
    searched = 0
    with db_api.get_engine().connect() as conn:
        for table in models.Base.metadata.sorted_tables:
            columns = [c for c in table.columns
                       if isinstance(c.type, (sa.String, sa.Text, sa.LargeBinary))]
            if not columns:
                continue
            for row in conn.execute(sa.select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = value.decode('latin-1') if isinstance(value, bytes) else value
                    searched += 1
                    assert _leaks(text) == [], (table.name, column.name)
    # The stored ciphertexts and rehome data were among them.
    assert searched > 50
