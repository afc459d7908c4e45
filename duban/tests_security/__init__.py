"""The hostile probe of issue 14, kept as tests: one module per class of attack."""
