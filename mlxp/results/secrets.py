"""Masking secrets: a config value that came from the environment under a secret-looking key.

``metadata/config.yaml`` holds the resolved config, so an API key passed as
``api_key: ${oc.env:WANDB_API_KEY}`` is written in clear. The launcher records which keys came
from the environment (``info.config_from_env``, see ``mlxp.config.env_sourced_keys``); the
commands that show runs print those values as ``****`` when a word of their key is TOKEN, KEY,
SECRET or PASSWORD. Runs recorded before ``config_from_env`` existed carry no such record, and
nothing is masked for them.
"""

from __future__ import annotations

import re
from typing import Any, Collection, Dict, Iterable, List, Mapping

__all__ = ["MASK", "SECRET_WORDS", "env_keys_of", "looks_secret", "mask_config", "masked_keys"]

MASK = "****"
SECRET_WORDS = frozenset({"token", "key", "secret", "password", "passwd", "apikey"})
# The words of a key: split at dots, '_', '-', spaces, and lower-to-upper camel-case steps.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def looks_secret(key: str) -> bool:
    """Whether a word of dotted ``key`` (``wandb.api_key``, ``hfToken``, ``DB_PASSWORD``) is a
    secret word; ``num_tokens`` and ``monkey`` are not."""
    return any(word.lower() in SECRET_WORDS for word in _WORD.findall(key))


def env_keys_of(info: Mapping[str, Any]) -> List[str]:
    """The config keys a run recorded as coming from the environment (flat ``info`` keys
    without the ``info.`` prefix, or a nested info mapping)."""
    keys = info.get("config_from_env")
    return [str(key) for key in keys] if isinstance(keys, list) else []


def masked_keys(config_keys: Iterable[str], env_keys: Collection[str]) -> List[str]:
    """The flat ``config_keys`` to mask: env-sourced (themselves or under an env-sourced
    mapping) and secret-looking."""
    hidden = []
    for key in config_keys:
        sourced = any(key == env or key.startswith(env + ".") for env in env_keys)
        if sourced and looks_secret(key):
            hidden.append(key)
    return hidden


def mask_config(config: Dict[str, Any], env_keys: Collection[str]) -> Dict[str, Any]:
    """A copy of the flat dotted ``config`` with the secrets replaced by ``MASK``."""
    if not env_keys:
        return config
    hidden = set(masked_keys(config, env_keys))
    return {key: MASK if key in hidden else value for key, value in config.items()}
