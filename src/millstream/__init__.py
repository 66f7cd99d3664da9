"""Millstream: a self-hosted realtime-compute control plane for Apache Flink."""

__version__ = "0.1.0"
__all__ = ["__version__"]
