"""Where the CLI connects and how it authenticates: the global options, their environment
variables and a clouds.yaml entry, merged into one ``Settings``.

The command line (and the environment variables that are its defaults) wins over the cloud
entry of ``--os-cloud``, as in every OpenStack client. The mode follows from what is set: no
``--os-auth-url`` means token-and-URL (``--dcmanager-url``, an optional ``--os-auth-token``, for
``auth_strategy = noauth`` sites); an auth URL with a password means Keystone password
authentication; an auth URL with a token means Keystone token authentication.
"""

import dataclasses
import os

import yaml

from dcmanager.cli import errors

INTERFACES = ('public', 'internal', 'admin')
INTERFACE_CHOICES = INTERFACES + tuple(i + 'URL' for i in INTERFACES)
DEFAULT_TIMEOUT = '60'
NO_ENDPOINT = ('No dcmanager endpoint: give --dcmanager-url (or DCMANAGER_URL), or Keystone '
               'credentials (--os-auth-url ...) or --os-cloud')

# clouds.yaml keys (under ``auth:``) and the settings they fill.
_CLOUD_AUTH_KEYS = {
    'auth_url': 'auth_url', 'username': 'username', 'password': 'password',
    'project_name': 'project_name', 'project_id': 'project_id',
    'user_domain_name': 'user_domain_name', 'user_domain_id': 'user_domain_id',
    'project_domain_name': 'project_domain_name', 'project_domain_id': 'project_domain_id',
    'token': 'token',
}


@dataclasses.dataclass
class Settings:
    """Everything the HTTP client needs; secrets are held, never printed (``repr`` hides
    them)."""

    dcmanager_url: str | None = None
    auth_url: str | None = None
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    project_name: str | None = None
    project_id: str | None = None
    user_domain_name: str | None = None
    user_domain_id: str | None = None
    project_domain_name: str | None = None
    project_domain_id: str | None = None
    token: str | None = dataclasses.field(default=None, repr=False)
    region_name: str | None = None
    interface: str = 'internal'
    timeout: float = 60.0
    timeout_text: str = DEFAULT_TIMEOUT
    verify: bool | str = True

    @property
    def mode(self):
        """``url`` (no Keystone), ``password`` or ``token``."""
        if not self.auth_url:
            return 'url'
        return 'token' if self.token and not self.password else 'password'


def cloud_files(environ=None):
    """The clouds.yaml files looked at, in order."""
    environ = os.environ if environ is None else environ
    files = []
    if environ.get('OS_CLIENT_CONFIG_FILE'):
        files.append(environ['OS_CLIENT_CONFIG_FILE'])
    files.append(os.path.join(os.getcwd(), 'clouds.yaml'))
    files.append(os.path.join(os.path.expanduser('~'), '.config', 'openstack', 'clouds.yaml'))
    files.append('/etc/openstack/clouds.yaml')
    return files


def load_cloud(name, environ=None):
    """The entry ``name`` of the first clouds.yaml that has it; CommandError if none does."""
    looked = cloud_files(environ)
    for path in looked:
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding='utf-8') as f:
                doc = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError) as e:
            raise errors.CommandError('Cannot read %s: %s' % (
                path, ' '.join(str(e).split()))) from None
        clouds = doc.get('clouds') if isinstance(doc, dict) else None
        if isinstance(clouds, dict) and isinstance(clouds.get(name), dict):
            return clouds[name]
    raise errors.CommandError('Cloud %s was not found in any clouds.yaml (%s)'
                              % (name, ', '.join(looked)))


def parse_seconds(text, option):
    """A positive number of seconds from ``text``; CommandError naming ``option`` otherwise."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = -1.0
    if not value > 0 or value == float('inf'):
        raise errors.CommandError('%s must be a positive number of seconds, not %r'
                                  % (option, text))
    return value


def normalize_interface(value):
    """``public``/``internal``/``admin`` from that or its ``*URL`` form."""
    name = value[:-3] if value.endswith('URL') else value
    if name not in INTERFACES:
        raise errors.CommandError('--os-interface must be one of %s, not %r'
                                  % (', '.join(INTERFACE_CHOICES), value))
    return name


def from_options(options, environ=None):
    """Settings from the parsed global options (whose defaults are the environment), filled in
    from ``--os-cloud``'s entry; CommandError when there is nothing to connect to."""
    s = Settings()
    cloud = load_cloud(options.os_cloud, environ) if options.os_cloud else {}
    auth = cloud.get('auth') if isinstance(cloud.get('auth'), dict) else {}
    for key, field in _CLOUD_AUTH_KEYS.items():
        if auth.get(key) is not None:
            setattr(s, field, str(auth[key]))
    if cloud.get('region_name'):
        s.region_name = str(cloud['region_name'])
    if cloud.get('interface'):
        s.interface = str(cloud['interface'])
    if cloud.get('cacert'):
        s.verify = str(cloud['cacert'])
    if cloud.get('verify') is False:
        s.verify = False

    given = {
        'dcmanager_url': options.dcmanager_url, 'auth_url': options.os_auth_url,
        'username': options.os_username, 'password': options.os_password,
        'project_name': options.os_project_name, 'project_id': options.os_project_id,
        'user_domain_name': options.os_user_domain_name,
        'user_domain_id': options.os_user_domain_id,
        'project_domain_name': options.os_project_domain_name,
        'project_domain_id': options.os_project_domain_id,
        'token': options.os_auth_token, 'region_name': options.os_region_name,
    }
    for field, value in given.items():
        if value:
            setattr(s, field, value)
    if options.os_interface:
        s.interface = options.os_interface
    s.interface = normalize_interface(s.interface)
    s.timeout_text = str(options.timeout or DEFAULT_TIMEOUT)
    s.timeout = parse_seconds(s.timeout_text, '--timeout')
    if options.insecure:
        s.verify = False
    elif options.os_cacert:
        s.verify = options.os_cacert

    if not s.dcmanager_url and not s.auth_url:
        raise errors.CommandError(NO_ENDPOINT)
    if s.auth_url and not s.password and not s.token:
        raise errors.CommandError('Keystone authentication at %s needs --os-password (with '
                                  '--os-username) or --os-auth-token' % s.auth_url)
    if s.mode == 'password' and not s.username:
        raise errors.CommandError('Keystone password authentication needs --os-username')
    return s
