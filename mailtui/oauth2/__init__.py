"""Built-in OAuth2 sign-in for IMAP and SMTP (issue 15).

- providers: Google / Microsoft presets and custom endpoints (`oauth2_*` settings).
- flows: device authorization (RFC 8628), loopback redirect + PKCE (RFC 8252), refresh.
- tokens: refresh-token stores (keyring, 0600 file) and TokenManager (in-memory access
  tokens, refresh before expiry and once on a refusal, ReauthRequired when dead).
- sasl: XOAUTH2 / OAUTHBEARER initial responses.
- http: the one HTTPS client (https verified; http only to loopback), also used by
  mailtui.setup for autoconfig.

Layering: below config/imap/smtp wiring; imports only mailtui.errors, mailtui.text and
mailtui.config.logs (the log redactor).
"""
