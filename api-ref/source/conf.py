# dcmanager API reference: os-api-ref on Sphinx.
#
# Build: tox -e api-ref  (sphinx-build -W --keep-going -b html -d api-ref/build/doctrees
#                         api-ref/source api-ref/build/html)

extensions = [
    'os_api_ref',
]

# Sphinx's default theme, not openstackdocstheme: that one brands every page as an OpenStack
# Foundation document (header, footer, links to openstack.org) and loads Google Tag Manager.
# os-api-ref's expand/collapse buttons need its Bootstrap and jQuery, so _static/api-ref.css
# hides them: every operation is shown expanded.
html_theme = 'alabaster'
html_theme_options = {
    'page_width': '1100px',
    'sidebar_width': '260px',
    'show_relbars': False,
}
html_sidebars = {'**': ['about.html', 'localtoc.html', 'searchbox.html']}
html_static_path = ['_static']
html_css_files = ['api-ref.css']

templates_path = []
source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'

project = 'Distributed Cloud Manager API Reference'
copyright = 'dcmanager developers'
version = 'v1.0'
release = 'v1.0'

# Only .rst files are pages: the .inc files are included by index.rst, samples/ are literalincluded.
exclude_patterns = []

pygments_style = 'sphinx'
add_module_names = False
show_authors = False

html_last_updated_fmt = '%Y-%m-%d %H:%M'
html_show_sourcelink = False
htmlhelp_basename = 'dcmanagerapi-refdoc'
