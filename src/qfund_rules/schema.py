"""JSON Schema of the rule files and of a claims batch, generated from the models.

The shipped YAML files name these schemas on their first line
(``# yaml-language-server: $schema=../schema/awards.schema.json``) so an editor checks
what policy staff type; ``qfund schema NAME`` prints them and ``schema/`` holds copies
that the test suite keeps in step with the models.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .claims import Batch
from .rules import AllocationFile, AwardsFile, ExclusionsFile

__all__ = ["schemas"]


def schemas() -> dict[str, dict[str, Any]]:
    """``{"awards", "exclusions", "allocation", "batch"}`` to their JSON Schema."""
    models: dict[str, type[BaseModel]] = {
        "awards": AwardsFile,
        "exclusions": ExclusionsFile,
        "allocation": AllocationFile,
        "batch": Batch,
    }
    out: dict[str, dict[str, Any]] = {}
    for name, model in models.items():
        schema = model.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema.setdefault("title", name)
        out[name] = schema
    return out
