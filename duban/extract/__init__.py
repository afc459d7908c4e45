"""Text engine: report → frameworks and tasks. Plain Python; no Django imports."""
