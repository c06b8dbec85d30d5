"""IMAP adapter: the only package that talks to imapclient."""
