"""IMAP adapter: the only package that talks to imapclient.

`session.ImapSession` is the adapter (connection state, raw commands, SELECT, FETCH),
composed of parts by subject: `folders` (LIST, LSUB, STATUS), `writes` (STORE, MOVE,
COPY, EXPUNGE, APPEND, confirmed), `idle` (IDLE, NOOP). `connect` opens the connection
(TLS policy, imaplib guarded against its server); `wire` reads framed replies with caps
and quotes strings; `parse` holds the pure response parsers and `scan` their
tokenizers; `translate` turns imapclient's values into the model's; `search` compiles
the query tree to SEARCH criteria; `errors` the typed failures.
"""
