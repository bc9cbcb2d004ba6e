"""The picture in docs/report.md: the top of the tour's page, rendered by headless Chromium.

Run from the repository root (needs chromium): python docs/figures/report_screenshot.py
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

from relucid.report import tour

OUT = Path("docs/img")
OUT.mkdir(parents=True, exist_ok=True)
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
with tempfile.TemporaryDirectory() as tmp:
    page = tour().write(Path(tmp) / "site")
    shot = Path(tmp) / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--user-data-dir={Path(tmp) / 'profile'}", "--window-size=1200,3000",
                    f"--screenshot={shot}", page.resolve().as_uri()], check=True, capture_output=True)
    im = Image.open(shot).convert("RGB")
    im = im.crop((0, 0, 1200, 2900)).resize((720, 1740), Image.LANCZOS)
    im.quantize(colors=64).save(OUT / "report_tour.png", optimize=True)  # a palette keeps the file small
print(f"wrote {OUT / 'report_tour.png'}")
