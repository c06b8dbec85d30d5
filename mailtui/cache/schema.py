"""The header cache's tables. The cache is disposable; the journal is not.

A message's primary key is `folder << 32 | uid`, so a folder's rows are one
contiguous range of the table's B-tree (range scans, no extra (folder, uid) index),
and the same integer is the FTS5 rowid.
"""

from __future__ import annotations

SCHEMA_VERSION = 9

# Tables dropped and rebuilt when the schema version changes.
DISPOSABLE = ("messages_fts", "offline", "parts", "messages", "folders", "meta")

DDL = """
CREATE TABLE IF NOT EXISTS meta(
    key TEXT PRIMARY KEY,
    value TEXT
);

CREATE TABLE IF NOT EXISTS folders(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,          -- decoded, as shown to the user
    raw_name TEXT NOT NULL,             -- as the server spells it (modified UTF-7)
    delimiter TEXT,
    role TEXT NOT NULL DEFAULT '',
    subscribed INTEGER NOT NULL DEFAULT 1,
    selectable INTEGER NOT NULL DEFAULT 1,
    uidvalidity INTEGER NOT NULL DEFAULT 0,
    uidnext INTEGER NOT NULL DEFAULT 0,
    highestmodseq INTEGER NOT NULL DEFAULT 0,
    cold_floor INTEGER NOT NULL DEFAULT 0,  -- every UID in [cold_floor, uidnext) is cached
    synced INTEGER NOT NULL DEFAULT 0,      -- a full sync has completed at least once
    fts_ready INTEGER NOT NULL DEFAULT 1,   -- 0 while cold-synced rows await FTS indexing
    server_total INTEGER,                   -- from STATUS / LIST-STATUS
    server_unread INTEGER,
    synced_total INTEGER,                   -- cached message count when the last sync ended
    version INTEGER NOT NULL DEFAULT 0,     -- bumped by every write to the folder's messages
    last_sync REAL,
    change_token INTEGER NOT NULL DEFAULT 0 -- FolderState.change_token (v7)
);

CREATE TABLE IF NOT EXISTS messages(
    id INTEGER PRIMARY KEY,             -- folder << 32 | uid
    folder INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    seen INTEGER GENERATED ALWAYS AS (instr(' ' || flags || ' ', ' \\Seen ') > 0) VIRTUAL,
    modseq INTEGER NOT NULL DEFAULT 0,
    internaldate INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    date INTEGER NOT NULL DEFAULT 0,
    subject TEXT NOT NULL DEFAULT '',
    from_name TEXT NOT NULL DEFAULT '',
    from_addr TEXT NOT NULL DEFAULT '',
    to_ TEXT NOT NULL DEFAULT '',
    cc TEXT NOT NULL DEFAULT '',
    reply_to TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    in_reply_to TEXT NOT NULL DEFAULT '',
    refs TEXT NOT NULL DEFAULT '',
    list_id TEXT NOT NULL DEFAULT '',
    has_attachments INTEGER NOT NULL DEFAULT 0,
    message_key INTEGER NOT NULL DEFAULT 0, -- the store's id across folders (X-GM-MSGID; v8)
    thread_key INTEGER NOT NULL DEFAULT 0,  -- its conversation (X-GM-THRID; v8)
    bodystructure TEXT                  -- JSON BodyPart, NULL until the message is opened
);
CREATE INDEX IF NOT EXISTS messages_by_date ON messages(folder, date);
CREATE INDEX IF NOT EXISTS messages_unseen ON messages(folder) WHERE NOT seen;

CREATE TABLE IF NOT EXISTS parts(
    message INTEGER NOT NULL,           -- messages.id
    section TEXT NOT NULL,
    data BLOB NOT NULL,
    size INTEGER NOT NULL,
    used REAL NOT NULL,
    PRIMARY KEY(message, section)
);
CREATE INDEX IF NOT EXISTS parts_by_use ON parts(used);

-- Messages prefetched for offline reading (v9; sync/prefetch.py): every section listed
-- is in parts. Their parts count against prefetch_max_mb, not the part cache's LRU cap.
CREATE TABLE IF NOT EXISTS offline(
    message INTEGER PRIMARY KEY,        -- messages.id
    date INTEGER NOT NULL,              -- the message's date: the oldest go first
    bytes INTEGER NOT NULL,
    sections TEXT NOT NULL              -- fetched by prefetch, space-separated; "-" whole
);
CREATE INDEX IF NOT EXISTS offline_by_date ON offline(date);

-- Local search over cached headers, rowid = messages.id.
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
    subject, sender, recipients, tokenize='unicode61 remove_diacritics 2'
);

-- Actions not yet confirmed by the server (issue: write-back). Survives schema rebuilds.
CREATE TABLE IF NOT EXISTS journal(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    kind TEXT NOT NULL,
    folder TEXT NOT NULL,
    uids TEXT NOT NULL,
    args TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'pending',  -- 'sending' once a command may have reached the server
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
"""
