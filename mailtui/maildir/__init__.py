"""Local Maildir trees behind the same `backend.Session` interface as an IMAP server.

`session.MaildirSession` is the adapter (selecting, fetching, searching), composed of
parts by subject: `base` (the tree, the UID map, the selected folder; errors as store
errors), `folders` (LIST, STATUS, CREATE, RENAME, DELETE), `flags` (STORE: info letters
and keywords), `transfer` (MOVE, COPY, EXPUNGE, APPEND), `idle` (IDLE, NOOP, change
tokens). Below them, each with one job: `layout` (which directories are folders:
Maildir++ or nested; names in modified UTF-7, `text.utf7`), `names` (file names, the
":2," info and its flags), `uidmap` (UIDs/UIDVALIDITY in mailtui's data dir), `folder`
(listing one folder into UIDs), `keywords` (Dovecot's keyword letters), `sections`
(BODY[section] from a file, by `mime.parse`'s numbering), `search` (the query tree over
files), `disk` (atomic changes to the tree), `watch` (inotify or polling for IDLE).
Only the stdlib, `model`, `errors`, `backend`, `text`, `config` and `mime` are imported
here; never imapclient.
"""
