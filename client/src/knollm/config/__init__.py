"""Knollm's configuration: files, environment, profiles, and a store that follows the files.

>>> from knollm.config import load
>>> config = load(profile="prod")  # doctest: +SKIP
>>> config.settings.strategy, config.origin("strategy")  # doctest: +SKIP
('fastest', '/home/me/project/knollm.toml:3')
"""

from knollm.config.files import ConfigError, ConfigFile
from knollm.config.settings import (
    BudgetLimits,
    BudgetSettings,
    Config,
    ProviderSettings,
    Settings,
    load,
)
from knollm.config.store import ConfigStore

__all__ = [
    "BudgetLimits",
    "BudgetSettings",
    "Config",
    "ConfigError",
    "ConfigFile",
    "ConfigStore",
    "ProviderSettings",
    "Settings",
    "load",
]
