"""offload-ai: verified multi-destination offload of camera media.

The public API::

    from offload import copy_with_multiple_destinations, offload, CopyOptions, VerifyMode

``copy_with_multiple_destinations`` copies one file (the engine behind ``pfndispatchcopy``);
``offload`` copies a card or folder (behind ``offload copy``). Neither prints; both return a
report whose ``exit_code`` follows the documented codes.
"""

from typing import TYPE_CHECKING, Any

from offload._lazy import lazy_attribute
from offload._version import __version__

if TYPE_CHECKING:
    from offload.api import (
        copy_with_multiple_destinations,
        copy_with_multiple_destinations_parallel,
    )
    from offload.card import OffloadOptions, OffloadReport, offload
    from offload.errors import ExitCode, OffloadError, UsageError
    from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
    from offload.results import JobReport

# Imported on first use (PEP 562): importing one module of the package (a command's own,
# ``offload.report.pdf``) does not import the engine and the planner.
_LAZY = {
    "copy_with_multiple_destinations": "offload.api",
    "copy_with_multiple_destinations_parallel": "offload.api",
    "OffloadOptions": "offload.card",
    "OffloadReport": "offload.card",
    "offload": "offload.card",
    "ExitCode": "offload.errors",
    "OffloadError": "offload.errors",
    "UsageError": "offload.errors",
    "CopyOptions": "offload.options",
    "ExistingFilePolicy": "offload.options",
    "VerifyMode": "offload.options",
    "JobReport": "offload.results",
}


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, _LAZY, globals(), name)


__all__ = [
    "CopyOptions",
    "ExistingFilePolicy",
    "ExitCode",
    "JobReport",
    "OffloadError",
    "OffloadOptions",
    "OffloadReport",
    "UsageError",
    "VerifyMode",
    "__version__",
    "copy_with_multiple_destinations",
    "copy_with_multiple_destinations_parallel",
    "offload",
]
