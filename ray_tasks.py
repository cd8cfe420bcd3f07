"""Ray as cxrkg's executor for work spread over machines (QA parts, report extraction):
joining a cluster or starting a local one. Ray is optional: `pip install 'cxrkg[ray]'`."""

from __future__ import annotations

from typing import Any


class RayUnavailable(RuntimeError):
    """Ray is not installed, or the cluster cannot be joined (the message says which)."""


def connect(address: str | None = None) -> Any:
    """The `ray` module, joined to the cluster at `address` ("auto", "host:6379",
    "ray://host:10001"), or to a local cluster started here when None. A process that has
    already joined one (a test's `ray.init`) keeps it."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable(
            "--executor ray needs Ray: pip install 'cxrkg[ray]' (on every machine of the cluster)"
        ) from None
    if not ray.is_initialized():
        try:
            ray.init(address=address, include_dashboard=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RayUnavailable(
                f"cannot join the Ray cluster at {address or 'a new local cluster'}: {exc};"
                " start one with `ray start --head` and give its address with --ray-address"
            ) from exc
    return ray


def cluster_cpus(ray: Any) -> int:
    """CPUs the cluster offers (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))
