from .mcmc import energy_slope_figure, learning_curve_figure, nuts_vs_exact_figure  # noqa: F401
