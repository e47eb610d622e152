"""What a plain first offload loads: nothing it never uses (docs/performance.md, "Profile of
the forty-third pass"). Each module costs start-up CPU on every run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_first_offload_writing_its_asc_mhl_history_loads_no_xml_parser(tmp_path: Path) -> None:
    """A card with no ASC MHL history or legacy MHL, offloaded to a new destination: the run
    writes the copy root's first generation and chain (its look for another writer finds no
    chain yet), and reads no XML, so ``xml.etree.ElementTree`` (and expat) is never
    imported; before, the history reader and the legacy MHL module imported it at their
    top, for every run."""
    card = tmp_path / "A001"
    (card / "CLIPS").mkdir(parents=True)
    for n in range(3):
        (card / "CLIPS" / f"A001C00{n}.mov").write_bytes(bytes([n]) * (1000 + n))
    dest = tmp_path / "dest"
    dest.mkdir()
    code = (
        "import sys\n"
        "from offload.cli.entry import main\n"
        f"code = main(['copy', '-q', '--verify', 'transfer', '--report-dir',"
        f" {str(tmp_path / 'r')!r}, {str(card)!r}, {str(dest)!r}])\n"
        "assert code == 0, code\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('xml.etree', 'pyexpat')))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (dest / "A001" / "ascmhl" / "ascmhl_chain.xml").is_file()
    assert len(list((dest / "A001" / "ascmhl").glob("0001_*.mhl"))) == 1
