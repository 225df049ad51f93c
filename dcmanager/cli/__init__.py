"""The ``dcmanager`` command-line client (cliff), shipped with the service.

It speaks to a site only over the v1.0 REST API and imports nothing server-side (a contract of
``.importlinter``): it is the same client for this site and for any StarlingX dcmanager.
"""
