"""WSGI entry points for servers that import the application (uwsgi, mod_wsgi, gunicorn).

Like ``dcmanager.cmd``, this package only wires things together: it reads the configuration, sets
up logging and builds the application of ``dcmanager.api``; it holds no logic of its own.
"""
