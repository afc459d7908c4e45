"""Fault tests: real processes killed with SIGKILL, a database restarted under load and a
disk that fills during an upload (docs/reliability.md)."""
