"""Tests of the text engine (framework-free)."""
