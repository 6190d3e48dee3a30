"""Computations on backends: run and stop relayed to managers, agent logs and events kept."""
