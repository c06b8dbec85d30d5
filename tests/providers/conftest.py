"""Provider tests share the compose tests' loopback SMTP servers and private data dir."""

from tests.compose.conftest import private_data_dir, smtp_ca, smtp_server  # noqa: F401
