"""Supervision: reporting rhythm, progress reports, status lights, notices, closure."""
