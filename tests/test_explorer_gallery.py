"""Every explorer notebook shows its gallery still (a static fallback on GitHub) and says how to
run it live; the image it links exists."""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPLORERS = sorted((ROOT / "tutorials" / "explorers").glob("*.ipynb"))


def test_there_are_explorers():
    assert len(EXPLORERS) >= 5, [p.name for p in EXPLORERS]


@pytest.mark.parametrize("path", EXPLORERS, ids=[p.stem for p in EXPLORERS])
def test_explorer_shows_its_still_and_how_to_run_it(path):
    intro = nbformat.read(path, as_version=4).cells[0]
    assert intro.cell_type == "markdown"
    link = f"../../docs/gallery/{path.stem}.png"
    # an HTML <img>, not markdown ![..](..): Voila resolves markdown images against its own root
    # and refuses to serve the page when the path leaves it (HTTP 404 while rendering)
    assert f'<img src="{link}"' in intro.source, f"{path.name} does not show {link} as <img>"
    assert (path.parent / link).resolve().is_file(), f"{link} is missing"
    assert f"voila tutorials/explorers/{path.name}" in intro.source
