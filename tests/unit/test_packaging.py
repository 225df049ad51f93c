"""What a wheel of this project ships: every module and data file under dcmanager/.

A directory of Python modules without ``__init__.py`` is not found by ``packages = find:`` and a
data file that no ``package_data`` pattern names is left out: a wheel (and ``pip install .``)
then silently lacks them - as it once lacked the alembic revisions, leaving the schema empty.
This reads setup.cfg's rules and checks the source tree against them, without building anything;
``tools/check-wheel`` (run by .ci/run) builds and installs a real wheel.
"""

import configparser
import fnmatch
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / 'setup.cfg')
    return cfg


def _packages():
    """What setuptools' ``find:`` finds under the include patterns: directories holding an
    ``__init__.py``, each of whose parents is a package too."""
    cfg = _setup_cfg()
    include = [p.strip() for p in cfg['options.packages.find']['include'].split(',')]
    found = set()
    for init in sorted((ROOT / 'dcmanager').rglob('__init__.py'), key=lambda p: len(p.parts)):
        name = '.'.join(init.parent.relative_to(ROOT).parts)
        parent = name.rpartition('.')[0]
        if (not parent or parent in found) and any(fnmatch.fnmatch(name, p) for p in include):
            found.add(name)
    return found


def _data_patterns():
    rules = _setup_cfg()['options.package_data']
    patterns = []
    for package, globs in rules.items():
        base = package.replace('.', '/')
        patterns += ['%s/%s' % (base, g.strip()) for g in globs.replace('\n', ',').split(',')
                     if g.strip()]
    return patterns


def _source_files():
    for path in sorted((ROOT / 'dcmanager').rglob('*')):
        if path.is_file() and '__pycache__' not in path.parts and path.suffix != '.pyc':
            yield path.relative_to(ROOT)


def test_every_python_module_is_in_a_package_the_wheel_ships():
    packages = _packages()
    missing = sorted({str(p.parent) for p in _source_files() if p.suffix == '.py'
                      and '.'.join(p.parent.parts) not in packages})
    assert not missing, 'directories of modules not shipped (no __init__.py?): %s' % missing


def test_the_alembic_revisions_are_shipped():
    assert 'dcmanager.db.migrations.versions' in _packages()
    assert list((ROOT / 'dcmanager/db/migrations/versions').glob('0001_*.py'))


def test_every_data_file_is_named_by_package_data():
    patterns = _data_patterns()
    missing = [str(p) for p in _source_files() if p.suffix != '.py'
               and not any(fnmatch.fnmatch(str(p), pat) for pat in patterns)]
    assert not missing, 'files under dcmanager/ that no package_data pattern ships: %s' % missing
