"""Make docs/first-page.png, the picture of the report's first page that the README shows.

    python tools/first_page.py [--out docs/first-page.png] [--dpi 60]

Builds the default report into a temporary directory with ``python -m derive --pdf`` (TeX needed) and renders the
first page with pdftoppm (Debian: poppler-utils). Each missing program is named in one line, exit 2.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python tools/first_page.py", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "first-page.png", help="the PNG to write (default: docs/first-page.png)")
    p.add_argument("--dpi", type=int, default=60, help="resolution of the picture (default: %(default)s)")
    options = p.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        print("error: pdftoppm not found (Debian: apt-get install poppler-utils)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report"
        done = subprocess.run([sys.executable, "-m", "derive", "--pdf", "--quiet", "--format", "tex", "--out", str(report)], cwd=ROOT)
        if done.returncode != 0:
            return done.returncode
        prefix = Path(scratch) / "page"
        first = ["pdftoppm", "-png", "-r", str(options.dpi), "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run([*first, str(report / "gradproof.pdf"), str(prefix)], check=True)
        options.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(prefix.with_suffix(".png"), options.out)
    print(f"wrote {options.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
