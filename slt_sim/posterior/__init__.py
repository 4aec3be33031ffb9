"""Engines that turn (model, data, n, β) into a posterior: exact grid quadrature, NUTS, SGMCMC."""
