"""The neutral boundary between the sync layer and the adapters (imap, maildir).

`session` holds the `Session` protocol both adapters implement and the records it
exchanges; `uidset` the one UID-set type. Nothing here imports an adapter, Textual or
imapclient: a Maildir account loads this package and never the IMAP stack.
"""

from mailtui.backend.session import (
    HEADER_SECTION,
    LIST_HEADER_FIELDS,
    Fetched,
    Outcome,
    SelectResult,
    Session,
)
from mailtui.backend.uidset import UID_MAX, UidMap, UidSet, compress_uids

__all__ = [
    "HEADER_SECTION",
    "LIST_HEADER_FIELDS",
    "UID_MAX",
    "Fetched",
    "Outcome",
    "SelectResult",
    "Session",
    "UidMap",
    "UidSet",
    "compress_uids",
]
