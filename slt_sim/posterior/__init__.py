"""Engines that turn (model, data, n, β) into a posterior p_n^β(w) ∝ φ(w) exp(−nβL_n(w)):
exact grid quadrature (and adaptive cubature), NUTS through NumPyro, tempered NUTS, replica
exchange, and stochastic-gradient MCMC (SGLD, SGNHT, MALA); phase sweeps over n."""

from .._lazy import lazy_exports

#: module -> the public names it defines (imported on first use)
_EXPORTS = {
    ".adaptive": ("AdaptiveResult", "binned_masses"),
    ".energy": ("EnergyFunction", "energy_function"),
    ".exact": ("ExactPosterior", "QuadratureWarning", "exact_posterior", "log_density_at"),
    ".grid": ("QuadratureGrid", "default_grid", "graded_grid", "uniform_grid"),
    ".mcmc": (
        "ConvergenceWarning", "SampleLikelihood", "check_convergence", "convergence_summary",
        "draws", "numpyro_model", "posterior_energy", "sample_posterior",
    ),
    ".parallel_tempering": ("RegionOccupancy", "last_crossing", "replica_exchange"),
    ".phase": ("PhaseSweep", "phase_sweep", "region_constants"),
    ".sgmcmc": (
        "Sampler", "StepInfo", "build_sampler", "localized_potential", "mala", "rmsprop_sgld",
        "run_chain", "sgld", "sgnht",
    ),
    ".tempered_nuts": ("TemperedDraws", "resolve_chain_method", "tempered_draws"),
}

__all__ = [
    "AdaptiveResult",
    "ConvergenceWarning",
    "EnergyFunction",
    "ExactPosterior",
    "PhaseSweep",
    "QuadratureGrid",
    "QuadratureWarning",
    "RegionOccupancy",
    "SampleLikelihood",
    "Sampler",
    "StepInfo",
    "TemperedDraws",
    "binned_masses",
    "build_sampler",
    "check_convergence",
    "convergence_summary",
    "default_grid",
    "draws",
    "energy_function",
    "exact_posterior",
    "graded_grid",
    "last_crossing",
    "localized_potential",
    "log_density_at",
    "mala",
    "numpyro_model",
    "phase_sweep",
    "posterior_energy",
    "region_constants",
    "replica_exchange",
    "resolve_chain_method",
    "rmsprop_sgld",
    "run_chain",
    "sample_posterior",
    "sgld",
    "sgnht",
    "tempered_draws",
    "uniform_grid",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
