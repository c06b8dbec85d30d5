"""The sync service: one account's workers, journal and watchers behind typed commands.

It drives any `backend.Session` it is handed and imports no adapter (mailtui/accounts.py
picks the backend).
"""
