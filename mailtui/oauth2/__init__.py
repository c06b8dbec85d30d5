"""Built-in OAuth2 sign-in for IMAP and SMTP (issue 15).

- providers: Google / Microsoft presets and custom endpoints (`oauth2_*` settings).
- flows: device authorization (RFC 8628), loopback redirect + PKCE (RFC 8252), refresh.
- tokens: refresh-token stores (keyring, 0600 file) and TokenManager (in-memory access
  tokens, refresh before expiry and once on a refusal, ReauthRequired when dead).
- sasl: XOAUTH2 / OAUTHBEARER initial responses.
- account: an account's `auth = "oauth2"` settings → provider, store and one TokenManager
  per process; `get_secret` for the sessions, `sign_in` for `mailtui login`/`setup`.
- http: the one HTTPS client (https verified; http only to loopback), also used by
  mailtui.setup for autoconfig.

Layering: below imap/compose, above config; imports mailtui.errors, mailtui.text and
mailtui.config (the log redactor, trust rules, and — in account.py — the settings and
credentials.token_keyring).
"""
