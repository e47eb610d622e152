"""The live terminal view of an offload (rich), redrawn ~10 times a second from a snapshot."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from offload.progress import ProgressModel, ProgressSnapshot


def human_rate(rate: float) -> str:
    return f"{rate / 1e6:,.1f} MB/s"


def human_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return (
        f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        if hours
        else f"{rest // 60:02d}:{rest % 60:02d}"
    )


def render(snap: ProgressSnapshot) -> RenderableType:
    """One overall bar (bytes, files, source speed, ETA) and a line per destination."""
    source_rate = snap.rate_bytes_s * (snap.total_bytes / snap.work_total if snap.work_total else 0)
    head = Table.grid(padding=(0, 1))
    head.add_row(
        ProgressBar(total=max(snap.work_total, 1), completed=snap.work_done, width=40),
        Text(f"{snap.percent:5.1f}%"),  # rounded down: 100.0 only when all is done
        Text(f"{snap.files_finished}/{snap.total_files} files"),
        Text(f"{snap.source_bytes_read / 1e9:,.2f}/{snap.total_bytes / 1e9:,.2f} GB"),
        Text(human_rate(source_rate)),
        Text(f"ETA {human_eta(snap.eta_s)}"),
    )
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in (
        "#",
        "destination",
        "state",
        "written",
        "verified",
        "files",
        "failed",
        "current file",
    ):
        table.add_column(column, overflow="ellipsis", no_wrap=True)
    for dest in snap.destinations:
        state = Text(
            dest.phase,
            style="bold red" if dest.lost else "green" if dest.phase == "done" else "cyan",
        )
        table.add_row(
            str(dest.index + 1),
            dest.path,
            state,
            f"{dest.bytes_written / 1e9:,.2f} GB",
            f"{dest.bytes_verified / 1e9:,.2f} GB",
            str(dest.files_done),
            str(dest.files_failed),
            dest.lost or dest.current_file,
        )
    return Group(head, table)


class LiveView:
    """Context manager that shows the model on a terminal while the job runs."""

    def __init__(self, model: ProgressModel, console: Console) -> None:
        self._model = model
        self._live = Live(
            get_renderable=lambda: render(model.snapshot()),
            console=console,
            refresh_per_second=10,
            transient=False,
        )

    def __enter__(self) -> LiveView:
        self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.__exit__(exc_type, exc, tb)
