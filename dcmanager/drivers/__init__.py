"""Clients for the outside world. Every network call from dcmanager to another system lives here."""
