"""One convention for results, warnings and figures (issue 10).

* every public result type has ``as_dict()``, and ``json.dumps`` takes what it returns;
* every warning slt_sim issues is a subclass of ``slt_sim.SLTSimWarning``;
* only ``slt_sim.viz`` and ``slt_sim.widgets`` import ``matplotlib.pyplot``;
* ``llc_trajectory`` diagnoses its chains as ``estimate_llc`` does.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import slt_sim as slt
from slt_sim import _warnings

ROOT = Path(__file__).resolve().parent.parent / "slt_sim"
#: packages whose public modules define result types
RESULT_PACKAGES = ("posterior", "measure", "dynamics", "data")
#: dataclasses there that are inputs or engine internals, not results
NOT_RESULTS = {"Model", "Region", "Objective", "QuadratureGrid", "CellRule", "CellStats",
               "AdaptiveResult"}


def _public_modules():
    for pkg in RESULT_PACKAGES:
        for path in sorted((ROOT / pkg).glob("*.py")):
            if path.stem.startswith("_") and path.stem != "__init__":
                continue
            name = f"slt_sim.{pkg}" + ("" if path.stem == "__init__" else f".{path.stem}")
            yield importlib.import_module(name)


def _result_types():
    seen = {}
    for mod in _public_modules():
        for name, obj in vars(mod).items():
            if (inspect.isclass(obj) and dataclasses.is_dataclass(obj)
                    and obj.__module__ == mod.__name__ and not name.startswith("_")
                    and name not in NOT_RESULTS):
                seen[f"{obj.__module__}.{name}"] = obj
    return seen


def test_every_public_result_type_has_as_dict():
    types = _result_types()
    for must in ("LLCResult", "CalibrationResult", "LLCTrajectory", "SGDResult", "VolumeCurve",
                 "VolumeScalingResult", "MultiTemperatureResult", "WBICResult", "TemperedDraws",
                 "RegionOccupancy", "SGDvsBayes", "CriticalSize", "GrokkingRun", "BNSLFit",
                 "POLCAResult", "TransitionReport", "LearningTimes", "CapabilityResult",
                 "FreeEnergySlope", "ThermoResult", "ThermoLambdaResult", "WAICResult",
                 "LearningCurveResult", "ExactPosterior", "PhaseSweep"):
        assert any(k.endswith("." + must) for k in types), f"{must} not found"
    missing = sorted(k for k, cls in types.items() if not callable(getattr(cls, "as_dict", None)))
    assert not missing, "result types without as_dict(): " + ", ".join(missing)


def test_run_settings_live_in_one_settings_dict():
    """A result with run settings keeps them in ``settings`` (no loose settings fields; an
    adapted ``step_size``, as RegionOccupancy's per rung, is an output, not a setting)."""
    loose = {"localization", "num_chains", "num_draws", "num_burnin", "sampler",
             "batch_size", "nbeta_factors", "optimizer", "lr"}
    for key, cls in _result_types().items():
        names = {f.name for f in dataclasses.fields(cls)}
        if "settings" in names:
            assert not names & loose, f"{key} has settings fields outside settings: " \
                f"{sorted(names & loose)}"
    from slt_sim.measure import LLCResult
    assert "step_size" not in {f.name for f in dataclasses.fields(LLCResult)}


@pytest.fixture(scope="module")
def results():
    """A few real results, each from a run of well under a second."""
    key = jax.random.key(0)
    nc = slt.models.normal_crossing((1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", slt.SLTSimWarning)
        llc = slt.estimate_llc(nc, jnp.zeros(2), key=key, n=1000, num_chains=2, num_draws=40,
                               num_burnin=10)
        cal = slt.calibrate_llc(nc, jnp.zeros(2), key=key, n=1000, step_sizes=(1e-4,),
                                localizations=(1.0,), num_chains=2, num_draws=20, num_burnin=0,
                                mala=False, reference=None)
        sgd = slt.train_sgd(slt.models.two_basins_2d(), "sgd", key=key, num_steps=20,
                            num_seeds=4, lr=0.01, checkpoints=3)
        traj = slt.llc_trajectory(slt.models.two_basins_2d(), sgd, key=key, n=1000,
                                  num_chains=2, num_draws=20, num_burnin=0)
        post = slt.exact_posterior(slt.models.two_basins_1d(), ns=[100, 1000])
        steps = np.arange(60)
        trace = np.where(steps < 30, 1.0, 0.1)
        report = slt.detect_transitions(trace, steps)
    return {"LLCResult": llc, "CalibrationResult": cal, "SGDResult": sgd,
            "LLCTrajectory": traj, "ExactPosterior": post, "TransitionReport": report,
            "LearningCoefficient": slt.theory.deep_linear_network((4, 3, 4), 1),
            "FreeEnergyLaw": slt.theory.FreeEnergyLaw(0.1, 0.5, 2)}


def test_as_dict_is_json_ready(results):
    for name, res in results.items():
        out = res.as_dict()
        assert isinstance(out, dict), name
        json.dumps(out, allow_nan=False)        # strict JSON: NaN/inf are null


def test_as_dict_uses_the_attribute_names(results):
    llc = results["LLCResult"].as_dict()
    assert llc["settings"]["num_chains"] == 2 and llc["settings"]["sampler"] == "sgld"
    assert "loss_trace" not in llc and "loss_trace" in results["LLCResult"].as_dict(traces=True)
    assert results["CalibrationResult"].as_dict()["settings"]["num_draws"] == 20
    sgd = results["SGDResult"].as_dict()
    assert sgd["settings"]["num_seeds"] == 4 and "params" not in sgd
    assert results["LLCTrajectory"].as_dict()["settings"]["num_chains"] == 2


def test_every_warning_category_is_an_sltsim_warning():
    for cat in _warnings.CATEGORIES:
        assert issubclass(cat, slt.SLTSimWarning) and issubclass(cat, UserWarning)
        assert getattr(slt, cat.__name__) is cat, f"slt_sim.{cat.__name__} is not exported"
        assert cat.__name__ in slt.__all__
    # the old homes of the categories still resolve to the same classes
    from slt_sim.measure import calibrate
    from slt_sim.posterior import exact, mcmc
    assert mcmc.ConvergenceWarning is slt.ConvergenceWarning
    assert exact.QuadratureWarning is slt.QuadratureWarning
    assert calibrate.CalibrationWarning is slt.CalibrationWarning


def test_no_warning_is_issued_without_a_category():
    """Every ``warnings.warn`` in slt_sim names a category (via ``_warnings.emit``)."""
    bare = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "warn"
                    and getattr(node.func.value, "id", "") in ("warnings", "_warnings")
                    and path.name != "_warnings.py"):
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not bare, "use slt_sim._warnings.emit(messages, Category): " + ", ".join(bare)


def test_emit_issues_and_returns_the_messages():
    with pytest.warns(slt.LLCWarning) as caught:
        out = _warnings.emit(["one", "two"], slt.LLCWarning)
    assert out == ("one", "two") and [str(w.message) for w in caught] == ["one", "two"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", slt.SLTSimWarning)
        _warnings.emit("silenced by the base class", slt.VolumeWarning)


def test_only_viz_and_widgets_import_pyplot():
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in ("viz", "widgets"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(n == "matplotlib.pyplot" for n in names):
                wrong.append(f"{rel}:{node.lineno}")
    assert not wrong, "pyplot outside slt_sim/viz and slt_sim/widgets: " + ", ".join(wrong)


def test_llc_trajectory_warns_on_divergence_as_estimate_llc_does():
    """A step size far too large: both paths drop the diverged chains and say so."""
    model = slt.models.quadratic(2)
    w = jnp.zeros(2)
    kw = dict(key=jax.random.key(0), n=1000, num_chains=2, num_draws=20, num_burnin=0,
              step_size=10.0)
    with pytest.warns(slt.LLCWarning, match="diverged"):
        one = slt.estimate_llc(model, w, **kw)
    with pytest.warns(slt.LLCWarning, match="diverged"):
        traj = slt.llc_trajectory(model, jnp.stack([w, w]), **kw)
    assert any("diverged" in m for m in one.warnings)
    assert len(traj.checkpoint_warnings) == 2
    for k in range(2):
        assert traj.checkpoint_warnings[k] == one.warnings
        assert traj.diagnostics[k]["diverged_chains"] == one.diagnostics["diverged_chains"]
    assert all(m.startswith("checkpoint at step") for m in traj.warnings)
    np.testing.assert_array_equal(np.isnan(traj.llc_mean), np.isnan(one.llc_mean))


def test_llc_figures_are_figures_without_pyplot_state(results):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from slt_sim.viz import plot_calibration, plot_llc_trace

    before = plt.get_fignums()
    fig = plot_llc_trace(results["LLCResult"], reference={"theory λ": 0.5})
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) >= 4   # 2 chains, λ̂, theory
    assert isinstance(plot_calibration(results["CalibrationResult"]), Figure)
    assert plt.get_fignums() == before
    with pytest.raises(TypeError, match="LLCResult"):
        plot_llc_trace(results["CalibrationResult"])
