"""Every tutorial has a current executed copy under docs/tutorials/ (built by
``make tutorials``, scripts/build_tutorials.py); nothing is executed here."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("build_tutorials",
                                               ROOT / "scripts" / "build_tutorials.py")
build_tutorials = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_tutorials)

SOURCES = build_tutorials.tutorial_sources()


def test_there_are_tutorials():
    assert len(SOURCES) >= 11, [p.name for p in SOURCES]


@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_copy_is_current_and_shows_its_results(source):
    number = source.name[:2]
    rebuild = f'run `make tutorials NB="{number}"`'
    copy = build_tutorials.copy_path(source)
    assert copy.exists(), f"{source.name} has no executed copy in docs/tutorials/: {rebuild}"
    nb = nbformat.read(copy, as_version=4)
    meta = nb.metadata.get("slt_sim", {})
    current = build_tutorials.source_hash(nbformat.read(source, as_version=4))
    assert meta.get("source_hash") == current, \
        f"docs/tutorials/{copy.name} was built from an older {source.name}: {rebuild}"
    assert meta.get("mode") == "full" and meta.get("execution_seconds", 0) > 0, meta
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code), \
        f"docs/tutorials/{copy.name} has unexecuted cells: {rebuild}"
    images = sum("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert images >= 1, f"docs/tutorials/{copy.name} shows no figure"
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, f"docs/tutorials/{copy.name} holds an error output: {rebuild}"


def test_links_are_rewritten_for_the_copy_location():
    rw = build_tutorials.rewrite_links
    assert rw("see [llc](../docs/llc.md#calibration)") == "see [llc](../llc.md#calibration)"
    assert rw("![shot](../docs/gallery/phase_explorer.png)") == \
        "![shot](../gallery/phase_explorer.png)"
    assert rw("[live](explorers/phase_explorer.ipynb)") == \
        "[live](../../tutorials/explorers/phase_explorer.ipynb)"
    assert rw("[next](02_volume_and_learning_coefficient.ipynb)") == \
        "[next](02_volume_and_learning_coefficient.ipynb)"
    assert rw("[readme](../README.md) [web](https://arxiv.org/abs/2208.11000) [a](#top)") == \
        "[readme](../../README.md) [web](https://arxiv.org/abs/2208.11000) [a](#top)"
    assert rw('<img src="../docs/gallery/x.png">') == '<img src="../gallery/x.png">'


def test_source_hash_ignores_outputs_and_sees_sources():
    nb = nbformat.read(SOURCES[0], as_version=4)
    before = build_tutorials.source_hash(nb)
    nb.cells[-1].metadata["foo"] = 1
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text="x")]
    assert build_tutorials.source_hash(nb) == before
    nb.cells[0].source += " "
    assert build_tutorials.source_hash(nb) != before
