"""The commands whose contract is more than a generic list/show/add/update/delete: the subcloud
commands (multipart bodies, files, passwords, the secondary filter, the detail columns),
``subcloud-peer-group status`` and ``migrate``, ``peer-group-association sync`` and ``alarm
summary``, with their ``--wait``.
"""

from cliff import command, lister, show

from dcmanager.cli import client as client_mod
from dcmanager.cli import commands, errors, multipart, prompts, resources, wait

SUBCLOUD = resources.SUBCLOUD
PEER_GROUP = resources.SUBCLOUD_PEER_GROUP
ASSOCIATION = resources.PEER_GROUP_ASSOCIATION
NETWORK_MESSAGE = ('For subcloud network reconfiguration request all the following parameters '
                   'are necessary: --management-subnet, --management-gateway-ip, '
                   '--management-start-ip, --management-end-ip and --bootstrap-address')


def _path(resource, ref, *rest):
    return '/'.join((resource.path, client_mod.ref(ref)) + rest)


class _Waiting:
    """A command whose ``--wait`` runs after its answer is printed: ``watch`` returns the exit
    code."""

    def run(self, parsed_args):
        code = super().run(parsed_args)
        if code == 0 and getattr(parsed_args, 'wait', False):
            self.app.stdout.flush()
            code = self.watch(parsed_args, wait.Progress(self.app.stderr))
        return code

    def watch(self, parsed_args, progress):
        raise NotImplementedError


# ------------------------------------------------------------------------------- subcloud

class SubcloudList(commands.Base, lister.Lister):
    """List subclouds (a peer site's secondary copies only with --all)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--all', action='store_true', dest='all_subclouds',
                            help='Also list secondary and secondary-failed subclouds.')
        parser.add_argument('-d', '--detail', action='store_true',
                            help='Show the detail columns.')
        return parser

    def take_action(self, parsed_args):
        docs = commands.items(self.client.get(SUBCLOUD.path), SUBCLOUD.list_key)
        if not parsed_args.all_subclouds:
            docs = [d for d in docs
                    if d.get('deploy-status') not in resources.SECONDARY_DEPLOY_STATES]
        detail = parsed_args.detail or bool(parsed_args.columns)
        cols = resources.SUBCLOUD_DETAIL_LIST if detail else resources.SUBCLOUD_BASIC
        return commands.listing(docs, cols)


class SubcloudShow(commands.Base, show.ShowOne):
    """Show the details of a subcloud."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        commands.add_ref(parser, SUBCLOUD, 'show')
        parser.add_argument('-d', '--detail', action='store_true',
                            help='Also show the OAM floating address and the deploy '
                                 'config sync status.')
        return parser

    def take_action(self, parsed_args):
        rest = ('detail',) if parsed_args.detail else ()
        doc = self.client.get(_path(SUBCLOUD, parsed_args.ref, *rest))
        return resources.subcloud_detail(doc, show_region=True)


class SubcloudErrors(commands.Base, command.Command):
    """Show why a subcloud's last operation failed."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        commands.add_ref(parser, SUBCLOUD, 'show the errors of')
        return parser

    def take_action(self, parsed_args):
        doc = self.client.get(_path(SUBCLOUD, parsed_args.ref))
        text = doc.get('error-description') if isinstance(doc, dict) else None
        self.app.stdout.write('%s\n' % (text or 'No errors present'))
        return 0


def _password_field(app, form, given, option, field, what):
    form.field(field, prompts.b64(prompts.password(app, given, option, what)))


class SubcloudAdd(_Waiting, commands.Base, show.ShowOne):
    """Add a subcloud (and enroll it)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        arg = parser.add_argument
        arg('--bootstrap-address', required=True,
            help='IP address the subcloud is reached at for its enrollment.')
        arg('--bootstrap-values', required=True, metavar='FILE',
            help='YAML file of the subcloud\'s bootstrap values.')
        arg('--deploy-config', metavar='FILE', help='YAML file of the deploy configuration.')
        arg('--install-values', metavar='FILE', help='YAML file of the install values.')
        arg('--sysadmin-password',
            help='sysadmin password of the subcloud (asked for when omitted, on a terminal).')
        arg('--bmc-password',
            help='BMC password (with --install-values; asked for when omitted).')
        arg('--group', help='Name or ID of the subcloud group to put it in.')
        arg('--migrate', action='store_true', help='Migrate the subcloud from another site.')
        arg('--name', help='Name of the subcloud (only with --migrate).')
        arg('--release', help='Software release of the subcloud.')
        arg('--enroll', action='store_true', help='Enroll an installed subcloud.')
        arg('--cloud-init-config', metavar='TAR',
            help='cloud-init configuration tarball (only with --enroll).')
        commands.add_wait_options(parser, 'the subcloud is complete and online, or failed')
        return parser

    def form(self, a):
        """The multipart body, checked before any request (files, option pairs, passwords)."""
        if a.name is not None and not a.migrate:
            raise errors.CommandError('The --name option can only be used with --migrate '
                                      'option.')
        if a.cloud_init_config is not None and not a.enroll:
            raise errors.CommandError('The --cloud-init-config option can only be used with '
                                      '--enroll option.')
        if a.deploy_config is not None and a.migrate:
            raise errors.CommandError('Cannot specify both --deploy-config and --migrate '
                                      'options.')
        form = multipart.Form()
        form.field('bootstrap-address', a.bootstrap_address)
        files = multipart.Form()
        files.file('bootstrap_values', a.bootstrap_values)
        if a.install_values is not None:
            files.file('install_values', a.install_values)
        if a.deploy_config is not None:
            files.file('deploy_config', a.deploy_config)
        if a.cloud_init_config is not None:
            files.file('cloud_init_config', a.cloud_init_config)
        _password_field(self.app, form, a.sysadmin_password, '--sysadmin-password',
                        'sysadmin_password', 'sysadmin password for the subcloud')
        if a.install_values is not None:
            _password_field(self.app, form, a.bmc_password, '--bmc-password', 'bmc_password',
                            'BMC password for the subcloud')
        if a.group is not None:
            form.field('group_id', a.group)
        if a.migrate:
            form.field('migrate', 'true')
        if a.enroll:
            form.field('enroll', 'true')
        if a.release is not None:
            form.field('release', a.release)
        if a.name is not None:
            form.field('name', a.name)
        form.parts.extend(files.parts)
        return form

    def take_action(self, parsed_args):
        self.answer = self.client.send_form('POST', SUBCLOUD.path, self.form(parsed_args))
        return resources.subcloud_detail(self.answer)

    def watch(self, parsed_args, progress):
        ident, name = self.answer.get('id'), self.answer.get('name')
        return wait.until(
            lambda elapsed: wait.add_state(self.client.get(_path(SUBCLOUD, ident)), elapsed),
            progress, parsed_args.wait_timeout, parsed_args.poll_interval,
            wait.add_timeout(name, parsed_args.wait_timeout.text))


class SubcloudUpdate(commands.Base, show.ShowOne):
    """Update a subcloud's attributes, group, peer group or network."""

    FIELDS = (('--name', 'name'), ('--description', 'description'),
              ('--location', 'location'), ('--group', 'group_id'),
              ('--management-subnet', 'management_subnet'),
              ('--management-gateway-ip', 'management_gateway_ip'),
              ('--management-start-ip', 'management_start_ip'),
              ('--management-end-ip', 'management_end_ip'),
              ('--bootstrap-address', 'bootstrap_address'),
              ('--peer-group', 'peer_group'))
    NETWORK = ('management_subnet', 'management_gateway_ip', 'management_start_ip',
               'management_end_ip', 'bootstrap_address')

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        commands.add_ref(parser, SUBCLOUD, 'update')
        helps = {'--group': 'Name or ID of the subcloud group to move it to.',
                 '--peer-group': 'Name or ID of the peer group to put it in ("none": out of '
                                 'its peer group).'}
        for flag, dest in self.FIELDS:
            parser.add_argument(flag, dest='f_' + dest,
                                help=helps.get(flag, 'New %s.' % flag[2:].replace('-', ' ')))
        parser.add_argument('--sysadmin-password',
                            help='sysadmin password (with a network reconfiguration).')
        parser.add_argument('--install-values', metavar='FILE',
                            help='YAML file of new install values.')
        parser.add_argument('--bmc-password', help='BMC password (with --install-values).')
        parser.add_argument('--bootstrap-values', metavar='FILE',
                            help='YAML file of new bootstrap values.')
        commands.add_yes(parser)
        return parser

    def form(self, a):
        data = {dest: getattr(a, 'f_' + dest) for _, dest in self.FIELDS
                if getattr(a, 'f_' + dest)}
        network = [dest in data for dest in self.NETWORK]
        # --bootstrap-address alone is allowed (a rehome-failed subcloud's new address); any
        # management option needs all five, as a network reconfiguration.
        if any(network[:-1]) and not all(network):
            raise errors.CommandError(NETWORK_MESSAGE)
        form = multipart.Form()
        for key, value in data.items():
            form.field(key, value)
        if all(network):
            _password_field(self.app, form, a.sysadmin_password, '--sysadmin-password',
                            'sysadmin_password', 'sysadmin password for the subcloud')
        if a.install_values:
            form.file('install_values', a.install_values)
            _password_field(self.app, form, a.bmc_password, '--bmc-password', 'bmc_password',
                            'BMC password for the subcloud')
        if a.bootstrap_values:
            form.file('bootstrap_values', a.bootstrap_values)
        if not form.parts:
            raise errors.CommandError('Nothing to update')
        return form

    def take_action(self, parsed_args):
        doc = self.client.send_form('PATCH', _path(SUBCLOUD, parsed_args.ref),
                                    self.form(parsed_args))
        if doc.get('info_message'):
            self.app.stdout.write('%s\n' % doc['info_message'])
        return resources.subcloud_detail(doc)


class SubcloudManage(commands.Base, show.ShowOne):
    """Manage a subcloud (it must be online and deployed)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        commands.add_ref(parser, SUBCLOUD, 'manage')
        parser.add_argument('--force', action='store_true',
                            help='Manage it even if its sync would otherwise be refused.')
        return parser

    def form(self, a):
        form = multipart.Form().field('management-state', 'managed')
        if a.force:
            form.field('force', 'true')
        return form

    def take_action(self, parsed_args):
        doc = self.client.send_form('PATCH', _path(SUBCLOUD, parsed_args.ref),
                                    self.form(parsed_args))
        return resources.subcloud_detail(doc)


class SubcloudUnmanage(commands.Base, show.ShowOne):
    """Unmanage a subcloud."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        commands.add_ref(parser, SUBCLOUD, 'unmanage')
        parser.add_argument('--migrate', action='store_true',
                            help='Unmanage it to migrate it to another site.')
        commands.add_yes(parser)
        return parser

    def take_action(self, parsed_args):
        prompts.confirm(self.app, 'Unmanage subcloud %s?' % parsed_args.ref, parsed_args.yes)
        doc = self.client.send_form('PATCH', _path(SUBCLOUD, parsed_args.ref),
                                    self.form(parsed_args))
        return resources.subcloud_detail(doc)

    def form(self, a):
        form = multipart.Form().field('management-state', 'unmanaged')
        if a.migrate:
            form.field('migrate', 'true')
        return form


# -------------------------------------------------------------------- subcloud peer group

class PeerGroupStatus(commands.Base, show.ShowOne):
    """Show the migration counts of a subcloud peer group's subclouds."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        commands.add_ref(parser, PEER_GROUP, 'show the status of')
        return parser

    def take_action(self, parsed_args):
        doc = self.client.get(_path(PEER_GROUP, parsed_args.ref, 'status'))
        return commands.shown(doc, resources.PEER_GROUP_STATUS)


class PeerGroupMigrate(_Waiting, commands.Base, lister.Lister):
    """Migrate a subcloud peer group's subclouds to this site."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        commands.add_ref(parser, PEER_GROUP, 'migrate')
        parser.add_argument('--sysadmin-password',
                            help='sysadmin password of the subclouds (asked for when omitted, '
                                 'on a terminal).')
        commands.add_yes(parser)
        commands.add_wait_options(parser, 'the migration has ended')
        return parser

    def take_action(self, parsed_args):
        prompts.confirm(self.app, 'Migrate subcloud peer group %s to this site?'
                        % parsed_args.ref, parsed_args.yes)
        password = prompts.password(self.app, parsed_args.sysadmin_password,
                                    '--sysadmin-password', 'sysadmin password of the subclouds')
        answer = self.client.send_json('PATCH', _path(PEER_GROUP, parsed_args.ref, 'migrate'),
                                       {'sysadmin_password': prompts.b64(password)})
        return commands.listing(commands.items(answer, 'subclouds'),
                                resources.SUBCLOUD_DETAIL21)

    def watch(self, parsed_args, progress):
        ref = parsed_args.ref
        name = [ref]

        def step(elapsed):
            group = self.client.get(_path(PEER_GROUP, ref))
            name[0] = group.get('peer_group_name') or ref
            members = commands.items(self.client.get(_path(PEER_GROUP, ref, 'subclouds')),
                                     'subclouds')
            return wait.migration_state(group, members, elapsed)

        def on_timeout(state):
            return wait.migration_timeout(name[0], parsed_args.wait_timeout.text)(state)

        return wait.until(step, progress, parsed_args.wait_timeout, parsed_args.poll_interval,
                          on_timeout)


# ----------------------------------------------------------------- peer group association

class AssociationSync(_Waiting, commands.Base, show.ShowOne):
    """Sync a peer group association's peer group to its system peer."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        commands.add_ref(parser, ASSOCIATION, 'sync')
        commands.add_wait_options(parser, 'the association is in-sync, or failed')
        return parser

    def take_action(self, parsed_args):
        doc = self.client.send_json('PATCH', _path(ASSOCIATION, parsed_args.ref, 'sync'), None)
        return commands.shown(doc, ASSOCIATION.show_columns)

    def watch(self, parsed_args, progress):
        ref = parsed_args.ref
        return wait.until(
            lambda elapsed: wait.sync_state(self.client.get(_path(ASSOCIATION, ref)), elapsed),
            progress, parsed_args.wait_timeout, parsed_args.poll_interval,
            wait.sync_timeout(ref, parsed_args.wait_timeout.text))


# --------------------------------------------------------------------------------- alarms

class AlarmSummary(commands.Base, lister.Lister):
    """Show the alarm counts of every subcloud."""

    def take_action(self, parsed_args):
        docs = commands.items(self.client.get('alarms'), resources.ALARM_LIST_KEY)
        rows = [resources.alarm_row(doc) for doc in docs]
        return resources.ALARM_COLUMNS, rows or commands.none_row(resources.ALARM_COLUMNS)


COMMANDS = {
    'subcloud list': SubcloudList,
    'subcloud show': SubcloudShow,
    'subcloud add': SubcloudAdd,
    'subcloud update': SubcloudUpdate,
    'subcloud manage': SubcloudManage,
    'subcloud unmanage': SubcloudUnmanage,
    'subcloud delete': commands.generic(SUBCLOUD, verbs=('delete',))['subcloud delete'],
    'subcloud errors': SubcloudErrors,
    'subcloud-peer-group status': PeerGroupStatus,
    'subcloud-peer-group migrate': PeerGroupMigrate,
    'peer-group-association sync': AssociationSync,
    'alarm summary': AlarmSummary,
}
