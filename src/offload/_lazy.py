"""Package attributes imported on first use (PEP 562), so that importing one submodule of a
package does not import all of them.

    _LAZY = {"write_generation": "offload.manifest.ascmhl", ...}

    def __getattr__(name: str) -> Any:
        return lazy_attribute(__name__, _LAZY, globals(), name)

A name in the table comes from its module; any other name is tried as a submodule
(``offload.results`` after ``import offload``), as when the package imported them all
eagerly. The value is then stored in the package's namespace: the next access is a plain
attribute. Raises AttributeError for anything else.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, MutableMapping
from typing import Any


def lazy_attribute(
    package: str, lazy: Mapping[str, str], namespace: MutableMapping[str, Any], name: str
) -> Any:
    module = lazy.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    elif name.isidentifier() and not name.startswith("__"):
        try:
            value = importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.{name}":
                raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
    else:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    namespace[name] = value
    return value
