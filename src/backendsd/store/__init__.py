"""Durable state: the only owner of what survives a restart.

Services depend on the protocols in :mod:`backendsd.store.protocols`; the
SQLite implementation lives in :mod:`backendsd.store.sqlite`.
"""
