"""Settings, paths and credentials: what every layer may read about the user's setup.

Credentials are deliberately not re-exported here: importing them pulls in keyring, and
only code that logs in should pay for (and depend on) that.
"""

from mailtui.config.load import load_settings, make_settings
from mailtui.config.model import AccountSettings, ServerSettings, Settings, UiSettings

__all__ = [
    "AccountSettings",
    "ServerSettings",
    "Settings",
    "UiSettings",
    "load_settings",
    "make_settings",
]
