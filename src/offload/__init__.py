"""offload-ai: verified multi-destination offload of camera media.

The public API::

    from offload import copy_with_multiple_destinations, offload, CopyOptions, VerifyMode

``copy_with_multiple_destinations`` copies one file (the engine behind ``pfndispatchcopy``);
``offload`` copies a card or folder (behind ``offload copy``). Neither prints; both return a
report whose ``exit_code`` follows the documented codes.
"""

from offload._version import __version__
from offload.api import (
    copy_with_multiple_destinations,
    copy_with_multiple_destinations_parallel,
)
from offload.card import OffloadOptions, OffloadReport, offload
from offload.errors import ExitCode, OffloadError, UsageError
from offload.options import CopyOptions, ExistingFilePolicy, VerifyMode
from offload.results import JobReport

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
