"""Every document the project names by file is in the project.

The code, the tests, the tools and the project's configuration once pointed at a style guide and
at a simulator README that were not in the project. This reads the tracked files and checks that
each ``*.md`` / ``*.rst`` named bare (``HACKING.rst``) or by a path inside the checkout
(``dcmanager/...``) is a tracked file. (``api-ref/`` and ``releasenotes/`` are Sphinx sources,
checked by their own builds.)
"""

import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r'(?<![\w./-])([\w./-]+\.(?:md|rst))\b')
SKIP_DIRS = ('api-ref/', 'releasenotes/')


def _tracked():
    out = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines() if line]


def test_named_documents_exist():
    tracked = _tracked()
    top = {path.split('/', 1)[0] for path in tracked}
    missing = []
    for path in tracked:
        if path.startswith(SKIP_DIRS) or not (ROOT / path).is_file():
            continue
        try:
            text = (ROOT / path).read_text(encoding='utf-8')
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if '://' in line:
                continue
            for name in REFERENCE.findall(line):
                name = name.lstrip('./')
                local = '/' not in name or name.split('/', 1)[0] in top
                if local and name not in tracked:
                    missing.append('%s:%d: %s' % (path, number, name))
    assert not missing, 'documents named but not in the project:\n' + '\n'.join(missing)
