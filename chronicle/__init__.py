"""Chronicle: a register and monitor of politically motivated repression."""

__version__ = "0.1.0"
