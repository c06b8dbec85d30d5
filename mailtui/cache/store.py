"""HeaderCache: one SQLite file per account holding folders, envelopes, parts and the journal.

The tables live in their own modules (db.py: connection, schema, transactions;
folders.py, messages.py, parts.py, journal.py); HeaderCache composes them into the one
object sync, the UI and the CLI open; search.py (over messages) compiles the query tree
to SQL.
"""

from __future__ import annotations

from mailtui.cache.db import BULK_PAGE_CACHE_KB, PAGE_CACHE_KB
from mailtui.cache.journal import JournalTable
from mailtui.cache.parts import PartTable
from mailtui.cache.search import SearchTable

__all__ = ["BULK_PAGE_CACHE_KB", "PAGE_CACHE_KB", "HeaderCache"]


class HeaderCache(SearchTable, PartTable, JournalTable):
    """The account's local store; not thread-safe — one instance per thread."""
