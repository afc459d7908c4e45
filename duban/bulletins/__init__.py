"""Bulletins (通报): periodic rankings of units, issued as official documents."""
