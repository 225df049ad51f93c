# dcmanager release notes: reno on Sphinx.
#
# Build: tox -e releasenotes  (sphinx-build -W --keep-going -b html -d releasenotes/build/doctrees
#                              releasenotes/source releasenotes/build/html)
# reno reads the notes from git: a note in releasenotes/notes/ appears once it is committed or
# staged (git add); an untracked note is not shown yet.

extensions = [
    'reno.sphinxext',
]

html_theme = 'alabaster'
html_theme_options = {
    'page_width': '1000px',
    'show_relbars': False,
}

templates_path = []
source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'

project = 'dcmanager Release Notes'
copyright = 'dcmanager developers'
# The release notes are not versioned themselves: each page names its release.
version = ''
release = ''

exclude_patterns = []
pygments_style = 'sphinx'

html_static_path = []
html_show_sourcelink = False
htmlhelp_basename = 'dcmanagerReleaseNotesdoc'
