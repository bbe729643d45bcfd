"""The small vocabularies the settings and the models share, as types (no import cost)."""

from typing import Literal

Lang = Literal["zh", "en"]  # the report's language
Policy = Literal["mark", "retry", "drop", "keep"]  # what becomes of an unverified item
