"""Copy KaTeX's browser build into derive/assets/katex/, which the web page (--format html) inlines.

    npm install --prefix .ci/node katex@0.16 && python tools/vendor_katex.py

Copies katex.min.js, katex.min.css, the WOFF2 fonts, the licence and the version: what the page needs to typeset
its math with no network. Run it to move to a new KaTeX release, then regenerate output/.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "derive" / "assets" / "katex"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=ROOT / ".ci" / "node" / "node_modules" / "katex", help="KaTeX's npm package directory")
    args = parser.parse_args()
    dist = args.source / "dist"
    if not (dist / "katex.min.js").is_file():
        parser.error(f"{dist / 'katex.min.js'} not found: install KaTeX with npm first")
    if TARGET.exists():
        shutil.rmtree(TARGET)
    (TARGET / "fonts").mkdir(parents=True)
    for name in ("katex.min.js", "katex.min.css"):
        shutil.copyfile(dist / name, TARGET / name)
    for font in sorted((dist / "fonts").glob("*.woff2")):
        shutil.copyfile(font, TARGET / "fonts" / font.name)
    shutil.copyfile(args.source / "LICENSE", TARGET / "LICENSE")
    version = json.loads((args.source / "package.json").read_text())["version"]
    (TARGET / "VERSION").write_text(version + "\n")
    print(f"KaTeX {version} copied to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
