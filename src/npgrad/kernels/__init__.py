"""Fused Numba kernels. Each module imports Numba itself and is imported lazily."""
