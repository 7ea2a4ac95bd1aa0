"""fleetgen: one fleet file in, every cluster's cross-cluster manifests out."""

from __future__ import annotations

__version__ = "0.1.0"
