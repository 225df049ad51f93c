"""The CLI's HTTP client: one dcmanager site, authenticated, bounded in time.

Requests to dcmanager go through ``requests`` in every mode, so that an error of dcmanager reads
the same whatever the authentication; Keystone (password or token, keystoneauth1 v3 plugins) is
only asked for the token and, without ``--dcmanager-url``, for the catalog's ``dcmanager``
endpoint. Every call, Keystone's included, waits at most ``--timeout`` seconds to connect and
for each read, so a dead or silent server is one ``ERROR (app)`` line, never a hang. A 401 (and
with Keystone a 403) is answered by authenticating again and repeating the request once, as the
reference client does.

Only an HTTP 200 is a success (the reference client's rule); its body is JSON (``null`` for a
delete). Anything else is a ``CommandError`` whose message ``errors.api_message`` chooses.
"""

import json
import re
import urllib.parse

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
import requests
import urllib3

from dcmanager import version
from dcmanager.cli import errors

API_VERSION = 'v1.0'
USER_AGENT = 'dcmanager-cli/%s' % version.version_string


def join(base, path):
    """``<root>/v1.0/<path>`` from a site root or a URL ending in ``/v1.0`` (with or without a
    trailing slash); never ``//``."""
    root = base.rstrip('/')
    if root.endswith('/' + API_VERSION):
        root = root[:-len(API_VERSION) - 1].rstrip('/')
    return '%s/%s/%s' % (root, API_VERSION, path.lstrip('/'))


def ref(value):
    """A reference typed by the user, as one path segment (``/``, ``?``, ``#`` escaped)."""
    return urllib.parse.quote(str(value), safe='')


def _v3_url(auth_url):
    url = auth_url.rstrip('/')
    return url if url.endswith('/v3') else url + '/v3'


class Client:
    """dcmanager's v1.0 API for the commands: ``get``, ``post``, ``patch``, ``delete``."""

    def __init__(self, settings):
        self.settings = settings
        self.http = requests.Session()
        self.http.verify = settings.verify
        if settings.verify is False:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._keystone = None
        self._endpoint = settings.dcmanager_url

    # ---------------------------------------------------------------- Keystone

    def _keystone_session(self):
        if self._keystone is None:
            s = self.settings
            scope = dict(project_name=s.project_name, project_id=s.project_id,
                         project_domain_name=s.project_domain_name,
                         project_domain_id=s.project_domain_id)
            if (s.project_name or s.project_id) and not (s.project_domain_name
                                                         or s.project_domain_id):
                scope['project_domain_name'] = 'Default'
            if s.mode == 'token':
                plugin = v3.Token(auth_url=_v3_url(s.auth_url), token=s.token, **scope)
            else:
                user_domain = dict(user_domain_name=s.user_domain_name,
                                   user_domain_id=s.user_domain_id)
                if not (s.user_domain_name or s.user_domain_id):
                    user_domain['user_domain_name'] = 'Default'
                plugin = v3.Password(auth_url=_v3_url(s.auth_url), username=s.username,
                                     password=s.password, **user_domain, **scope)
            self._keystone = ks_session.Session(auth=plugin, verify=s.verify,
                                                timeout=s.timeout, user_agent=USER_AGENT)
        return self._keystone

    def _keystone_call(self, call):
        url = self.settings.auth_url
        try:
            return call()
        except ks_exc.ConnectTimeout:
            raise errors.CommandError('Keystone at %s did not answer within %s s'
                                      % (url, self.settings.timeout_text)) from None
        except (ks_exc.ConnectFailure, ks_exc.SSLError) as e:
            raise errors.CommandError('Unable to reach Keystone at %s: %s'
                                      % (url, errors.network_reason(e))) from None
        except ks_exc.Unauthorized as e:
            raise errors.CommandError('Keystone at %s refused the credentials (HTTP 401): %s'
                                      % (url, _ks_text(e))) from None
        except ks_exc.HttpError as e:
            raise errors.CommandError('Keystone at %s answered HTTP %s: %s'
                                      % (url, e.http_status, _ks_text(e))) from None
        except ks_exc.ClientException as e:
            raise errors.CommandError('Keystone at %s: %s' % (url, _ks_text(e))) from None

    def _token(self):
        if self.settings.mode == 'url':
            return self.settings.token
        return self._keystone_call(self._keystone_session().get_token)

    def endpoint(self):
        """The base URL in use: ``--dcmanager-url``, or the catalog's ``dcmanager`` service."""
        if self._endpoint:
            return self._endpoint
        s = self.settings
        sess = self._keystone_session()
        self._keystone_call(sess.get_token)
        try:
            found = self._keystone_call(lambda: sess.get_endpoint(
                service_type='dcmanager', interface=s.interface, region_name=s.region_name))
        except errors.CommandError:
            found = None
        if not found:
            where = 'interface %s' % s.interface
            if s.region_name:
                where += ', region %s' % s.region_name
            raise errors.CommandError(
                'No dcmanager endpoint (%s) in the service catalog of Keystone at %s: give '
                '--dcmanager-url, or another --os-interface or --os-region-name'
                % (where, s.auth_url))
        self._endpoint = found
        return found

    # ---------------------------------------------------------------- dcmanager

    def _send(self, method, url, body, headers, token):
        headers = dict(headers, **{'Accept': 'application/json', 'User-Agent': USER_AGENT})
        if token:
            headers['X-Auth-Token'] = token
        base = self.endpoint()
        try:
            return self.http.request(method, url, data=body, headers=headers,
                                     timeout=self.settings.timeout, allow_redirects=False)
        except requests.exceptions.Timeout:
            raise errors.CommandError('dcmanager at %s did not answer within %s s'
                                      % (base, self.settings.timeout_text)) from None
        except requests.exceptions.RequestException as e:
            raise errors.CommandError('Unable to reach dcmanager at %s: %s'
                                      % (base, errors.network_reason(e))) from None

    def request(self, method, path, body=None, content_type=None):
        """The JSON of a 200 answer to ``method <site>/v1.0/<path>``; CommandError otherwise.
        ``body``: bytes (or None), sent with ``content_type``."""
        headers = {'content-type': content_type} if content_type else {}
        url = join(self.endpoint(), path)
        token = self._token()
        resp = self._send(method, url, body, headers, token)
        if resp.status_code in (401, 403) and self.settings.mode != 'url':
            self._keystone_session().invalidate()
            resp = self._send(method, url, body, headers, self._token())
        if resp.status_code != 200:
            raise errors.CommandError(errors.api_message(resp.status_code, _text(resp)))
        if not resp.content.strip():
            return None
        try:
            return resp.json()
        except ValueError:
            raise errors.CommandError('dcmanager at %s answered %s %s with a body that is not '
                                      'JSON' % (self.endpoint(), method, path)) from None

    def get(self, path):
        return self.request('GET', path)

    def delete(self, path):
        return self.request('DELETE', path)

    def send_json(self, method, path, doc):
        """``doc`` as a JSON body (``None``: an empty body, still typed JSON, as ``sync``
        sends)."""
        body = b'' if doc is None else json.dumps(doc).encode('utf-8')
        return self.request(method, path, body, 'application/json')

    def send_form(self, method, path, form):
        """A ``multipart.Form`` as the body."""
        body, content_type = form.encode()
        return self.request(method, path, body, content_type)


def _text(resp):
    try:
        return resp.content.decode(resp.encoding or 'utf-8', errors='replace')
    except LookupError:
        return resp.content.decode('utf-8', errors='replace')


def _ks_text(e):
    """keystoneauth's message without the ``(HTTP 401) (Request-ID: ...)`` it appends (the
    status is said once by the caller)."""
    text = str(getattr(e, 'details', None) or getattr(e, 'message', None) or e)
    text = re.sub(r' \(HTTP \d+\)| \(Request-ID: [^)]*\)', '', text)
    return ' '.join(text.split())
