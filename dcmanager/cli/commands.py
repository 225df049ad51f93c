"""The generic commands, made from the resource descriptions of ``resources.py``: ``list``,
``show``, ``add``, ``update``, ``delete`` and each sub-list, for every resource whose command is
nothing more than that (``generic``). The commands whose contract differs (most of
``subcloud``, ``subcloud-peer-group status`` and ``migrate``, ``peer-group-association sync``,
``alarm summary``) are in ``actions.py``, built on the same pieces; ``app.py`` puts both in one
command table.

A command class is made per (resource, verb) by ``_make``, so that cliff shows each with its own
one-line description and argument names.
"""

import argparse

from cliff import command, lister, show

from dcmanager.cli import client as client_mod
from dcmanager.cli import errors, prompts

NONE = '<none>'
_ASK = object()  # a bare password option: ask for it


def none_row(names):
    """What an empty list prints: one row of ``<none>``, as the reference client does."""
    return [tuple(NONE for _ in names)]


def rows(docs, cols):
    return [tuple(c.value(doc) for c in cols) for doc in docs]


def listing(docs, cols):
    """(column names, rows) of a list; the ``<none>`` row when empty."""
    names = tuple(c.name for c in cols)
    return names, (rows(docs, cols) or none_row(names))


def shown(doc, cols):
    return tuple(c.name for c in cols), tuple(c.value(doc) for c in cols)


def items(answer, key):
    """The list under ``key`` of a list answer; CommandError when the answer is not one."""
    found = answer.get(key) if isinstance(answer, dict) else None
    if not isinstance(found, list):
        raise errors.CommandError('The answer has no list "%s"' % key)
    return [doc for doc in found if isinstance(doc, dict)]


def add_ref(parser, resource, verb):
    parser.add_argument('ref', metavar=resource.metavar,
                        help='%s of the %s to %s' % (resource.ref_help.capitalize(),
                                                     resource.noun, verb))


def add_yes(parser):
    parser.add_argument('--yes', action='store_true',
                        help='Do not ask for confirmation (with CLI_CONFIRMATIONS=enabled).')


def add_options(parser, options, update=False):
    for opt in options:
        kwargs = dict(dest=opt.dest, help=opt.help, metavar=opt.metavar)
        if opt.password:
            if update:
                kwargs.update(nargs='?', const=_ASK)
        else:
            kwargs.update(required=opt.required, default=opt.default, choices=opt.choices)
            if opt.type:
                kwargs['type'] = opt.type
        if opt.choices:
            kwargs.pop('metavar')
        parser.add_argument(opt.flag, **kwargs)


def body_from(app, parsed_args, options, add):
    """The JSON body of an add or update: every option given (and, on an add, its default),
    passwords base64 (asked for when absent on an add or bare on an update)."""
    body = {}
    for opt in options:
        value = getattr(parsed_args, opt.dest)
        if opt.password:
            if value is None and not add:
                continue
            value = prompts.password(app, None if value is _ASK else value, opt.flag,
                                     opt.dest.replace('_', ' '))
            value = prompts.b64(value)
        if value is not None:
            body[opt.key] = value
    return body


class Base:
    """What every command of this CLI shares: the client of the app."""

    resource = None

    @property
    def client(self):
        return self.app.client


class ListCommand(Base, lister.Lister):
    def take_action(self, parsed_args):
        r = self.resource
        return listing(items(self.client.get(r.path), r.list_key), r.list_columns)


class ShowCommand(Base, show.ShowOne):
    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_ref(parser, self.resource, 'show')
        return parser

    def take_action(self, parsed_args):
        r = self.resource
        doc = self.client.get('%s/%s' % (r.path, client_mod.ref(parsed_args.ref)))
        return shown(doc, r.show_columns)


class AddCommand(Base, show.ShowOne):
    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_options(parser, self.resource.add_options)
        return parser

    def take_action(self, parsed_args):
        r = self.resource
        body = body_from(self.app, parsed_args, r.add_options, add=True)
        return shown(self.client.send_json('POST', r.path, body), r.show_columns)


class UpdateCommand(Base, show.ShowOne):
    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_ref(parser, self.resource, 'update')
        add_options(parser, self.resource.update_options, update=True)
        return parser

    def take_action(self, parsed_args):
        r = self.resource
        body = body_from(self.app, parsed_args, r.update_options, add=False)
        if not body:
            raise errors.CommandError('Nothing to update')
        doc = self.client.send_json('PATCH', '%s/%s' % (r.path, client_mod.ref(parsed_args.ref)),
                                    body)
        return shown(doc, r.show_columns)


class DeleteCommand(Base, command.Command):
    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_ref(parser, self.resource, 'delete')
        add_yes(parser)
        return parser

    def take_action(self, parsed_args):
        r = self.resource
        prompts.confirm(self.app, 'Delete %s %s? This cannot be undone.' % (
            r.noun, parsed_args.ref), parsed_args.yes)
        self.client.delete('%s/%s' % (r.path, client_mod.ref(parsed_args.ref)))
        return 0


class SubListCommand(Base, lister.Lister):
    sublist = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_ref(parser, self.resource, 'list from')
        return parser

    def take_action(self, parsed_args):
        r, sub = self.resource, self.sublist
        answer = self.client.get('%s/%s/%s' % (r.path, client_mod.ref(parsed_args.ref),
                                               sub.path))
        return listing(items(answer, sub.key), sub.columns)


def _make(base, resource, description, **attrs):
    name = '%s_%s' % (resource.command.title().replace('-', ''), base.__name__)
    return type(name, (base,), dict(attrs, resource=resource, _description=description,
                                    __doc__=description))


def generic(resource, verbs=('list', 'show', 'add', 'update', 'delete')):
    """{command name: class} of ``resource``'s generic commands."""
    r = resource
    made = {
        'list': (ListCommand, 'List %s.' % r.plural),
        'show': (ShowCommand, 'Show the details of a %s.' % r.noun),
        'add': (AddCommand, 'Add a %s.' % r.noun),
        'update': (UpdateCommand, 'Update a %s.' % r.noun),
        'delete': (DeleteCommand, 'Delete a %s.' % r.noun),
    }
    table = {'%s %s' % (r.command, verb): _make(made[verb][0], r, made[verb][1])
             for verb in verbs}
    for sub in r.sublists:
        table['%s %s' % (r.command, sub.command)] = _make(
            SubListCommand, r, sub.help, sublist=sub)
    return table


class Seconds(float):
    """A positive number of seconds from the command line, which remembers how it was
    written (messages print ``2`` or ``0.5`` as typed)."""

    def __new__(cls, text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError('not a number of seconds: %r' % text) from None
        if not value > 0 or value == float('inf'):
            raise argparse.ArgumentTypeError('not a positive number of seconds: %r' % text)
        obj = super().__new__(cls, value)
        obj.text = str(text)
        return obj


def add_wait_options(parser, what):
    parser.add_argument('--wait', action='store_true',
                        help='Wait until %s, showing progress on stderr.' % what)
    parser.add_argument('--wait-timeout', type=Seconds, default=Seconds('3600'),
                        metavar='SECONDS', help='Give up waiting after this long (3600).')
    parser.add_argument('--poll-interval', type=Seconds, default=Seconds('5'),
                        metavar='SECONDS', help='Seconds between two polls (5).')

