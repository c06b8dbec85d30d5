"""The sync service: one account's workers, cache and protocol adapters behind typed commands."""
