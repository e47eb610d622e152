"""Helpers of the report tests: headless Chromium over the DevTools protocol, poppler's
pdftotext/pdfinfo/pdftoppm, pixel checks with Pillow, the offload CLI in-process."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offload.cli import offload as offload_main
from offload.cli.common import Environment

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


@dataclass
class PageResult:
    """What a person would see: console errors, the rendered text, a screenshot (PNG)."""

    errors: list[str] = field(default_factory=list)
    text: str = ""
    screenshot: bytes = b""
    images: int = 0  # <img> elements that decoded (naturalWidth > 0)
    broken_images: int = 0
    measured: Any = None  # what ``open(measure=...)``'s expression returned


class Browser:
    """One headless Chromium; ``open(path)`` loads a file in a fresh tab."""

    def __init__(self, executable: str, profile: Path) -> None:
        import websocket  # websocket-client (dev extra)

        self._websocket = websocket
        self.process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                f"--user-data-dir={profile}",
                "--window-size=1280,1600",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its crash reporter's database ("Crash Reports/settings.dat", written at each
            # start) goes under $XDG_CONFIG_HOME/chromium, else the user's ~/.config: here,
            # in the profile, removed with it.
            env={**os.environ, "XDG_CONFIG_HOME": str(profile / "config")},
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        self.port = int(port_file.read_text().split()[0])

    def _new_tab(self) -> tuple[str, str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            target = json.load(response)
        return target["id"], target["webSocketDebuggerUrl"]

    def open(
        self,
        path: Path,
        *,
        timeout: float = 30.0,
        width: int | None = None,
        measure: str | None = None,
    ) -> PageResult:
        """*width*: the window's width in CSS pixels (the default: 1280); *measure*: a
        JavaScript expression evaluated once the page is laid out (``PageResult.measured``)."""
        target_id, url = self._new_tab()
        ws = self._websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        result = PageResult()
        counter = iter(range(1, 1_000_000))
        deadline = time.monotonic() + timeout

        def send(method: str, **params: Any) -> dict[str, Any]:
            number = next(counter)
            ws.send(json.dumps({"id": number, "method": method, "params": params}))
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no answer to {method}")
                message = json.loads(ws.recv())
                note(message)
                if message.get("id") == number:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return dict(message.get("result", {}))

        loaded = [False]

        def note(message: dict[str, Any]) -> None:
            method = message.get("method")
            params = message.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                description = details.get("exception", {}).get("description")
                result.errors.append(str(description or details.get("text"))[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                "error",
                "assert",
            ):
                result.errors.append(json.dumps(params.get("args", []))[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                result.errors.append(str(params["entry"].get("text"))[:500])
            elif method == "Page.loadEventFired":
                loaded[0] = True

        try:
            send("Page.enable")
            send("Runtime.enable")
            send("Log.enable")
            if width is not None:
                send("Emulation.setDeviceMetricsOverride", width=width, height=900,
                     deviceScaleFactor=1, mobile=False)  # fmt: skip
            send("Page.navigate", url=path.resolve().as_uri())
            while not loaded[0]:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path} did not finish loading")
                note(json.loads(ws.recv()))
            # Let late console messages arrive.
            send("Runtime.evaluate", expression="new Promise(r => setTimeout(r, 200))",
                 awaitPromise=True)  # fmt: skip
            text = send("Runtime.evaluate", expression="document.body.innerText")
            result.text = str(text["result"].get("value", ""))
            counts = send(
                "Runtime.evaluate",
                expression="JSON.stringify([...document.images].map(i => i.naturalWidth))",
            )
            widths = json.loads(counts["result"]["value"])
            result.images = sum(1 for w in widths if w > 0)
            result.broken_images = sum(1 for w in widths if w == 0)
            if measure is not None:
                value = send("Runtime.evaluate", expression=measure, returnByValue=True)
                result.measured = value["result"].get("value")
            shot = send("Page.captureScreenshot", format="png")
            result.screenshot = base64.b64decode(shot["data"])
        finally:
            ws.close()
            urllib.request.urlopen(
                f"http://127.0.0.1:{self.port}/json/close/{target_id}", timeout=10
            ).close()
        return result

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def pdf_text(poppler: dict[str, str], pdf: Path) -> str:
    return subprocess.run(
        [poppler["pdftotext"], str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def pdf_words(poppler: dict[str, str], pdf: Path) -> str:
    """The text of *pdf* (``pdf_text``), its white space folded to single spaces: a sentence
    found whatever line breaks the layout put in it."""
    return " ".join(pdf_text(poppler, pdf).split())


def pdf_info(poppler: dict[str, str], pdf: Path) -> dict[str, str]:
    out = subprocess.run(
        [poppler["pdfinfo"], str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def pdf_page_png(poppler: dict[str, str], pdf: Path, page: int, out: Path, dpi: int = 50) -> Path:
    prefix = out / f"page{page}"
    subprocess.run(
        [poppler["pdftoppm"], "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
         "-singlefile", str(pdf), str(prefix)],
        check=True,
    )  # fmt: skip
    return prefix.with_suffix(".png")


def not_blank(png: bytes) -> float:
    """How much of the picture is not the background colour (0..1)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB").resize((200, 200))
        raw = rgb.tobytes()
        pixels = [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]
        background = pixels[0]
    return sum(1 for p in pixels if p != background) / len(pixels)


def colourful(png: bytes) -> float:
    """Share of saturated pixels (thumbnails of colour bars), 0..1."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB").resize((300, 300))
        raw = rgb.tobytes()
        pixels = [tuple(raw[i : i + 3]) for i in range(0, len(raw), 3)]
    return sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 80) / len(pixels)


def offload_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run ``offload ARGV`` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = offload_main.main(
        argv, Environment(stdout=out, stderr=err, install_signal_handlers=False)
    )
    return code, out.getvalue(), err.getvalue()


OTHER_TOOLS_BYTES = b"another tool's file, of another size"


def two_clip_card(tmp_path: Path, size: int) -> Path:
    """A card ``tmp_path/A001`` of two clips, ``CLIPS/C001.mov`` and ``CLIPS/C002.mov``,
    each *size* random bytes."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for name in ("C001.mov", "C002.mov"):
        (card / "CLIPS" / name).write_bytes(os.urandom(size))
    return card


def copied_once(card: Path, tmp_path: Path) -> tuple[Path, Path]:
    """*card* copied by ``offload copy`` (in-process) into ``tmp_path/dest``, its reports in
    ``tmp_path/reports``: those two folders. A copy that fails fails the test."""
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    dest.mkdir()
    code, out, err = offload_cli(["copy", str(card), str(dest), "--report-dir", str(reports)])
    assert code == 0, out + err
    return dest, reports


def other_tools_file(dest: Path) -> Path:
    """``dest/A001/CLIPS/C001.mov`` (its folders made) holding ``OTHER_TOOLS_BYTES``: a
    file at the name of ``two_clip_card``'s first clip's copy that is not that copy."""
    theirs = dest / "A001" / "CLIPS" / "C001.mov"
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(OTHER_TOOLS_BYTES)
    return theirs


def copy_over_other_tools_file(tmp_path: Path, flag: str) -> tuple[Path, Path, Path, list[str]]:
    """A ``two_clip_card`` of 50,000-byte clips, ``other_tools_file`` in ``tmp_path/dest``,
    and the arguments of ``offload copy FLAG --into`` the card to ``tmp_path/dest/A001``
    (``--into``: the folder named on purpose, else refused whole, nothing there being this
    card's), its reports in ``tmp_path/reports``: the card, the other tool's file, the
    report folder and those arguments."""
    card = two_clip_card(tmp_path, 50_000)
    dest, reports = tmp_path / "dest", tmp_path / "reports"
    theirs = other_tools_file(dest)
    argv = ["copy", flag, "--into", str(card), str(dest / "A001")]
    argv += ["--report-dir", str(reports)]
    return card, theirs, reports, argv
