"""The alembic revisions of dcmanager's schema, one module per revision.

A package (not only a directory) so that every build - a wheel, ``pip install .`` - ships them
with the code; alembic itself skips this file when it reads the revisions.
"""
