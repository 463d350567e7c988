"""Differentiable primitives, one small Function class each, grouped by kind."""
