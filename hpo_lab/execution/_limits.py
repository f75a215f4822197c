"""BLAS/OpenMP thread limits for worker processes.

k worker processes that each start a BLAS pool as wide as the machine fight over the cores
(oversubscription makes numpy code several times slower). Each worker therefore gets its share:
``cpu_count // k`` threads unless the user says otherwise.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "THREAD_ENV_VARS",
    "apply_thread_limits",
    "reset_thread_limits",
    "resolve_thread_limit",
    "thread_limit_env",
]

THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "BLIS_NUM_THREADS",
)

# Kept alive on purpose: threadpoolctl restores the old limits when its limiter is collected.
_active_limiter: Any = None
_applied: int | None = None


def resolve_thread_limit(
    blas_threads: int | None, n_workers: int, n_cpus: int | None = None
) -> int:
    """The number of BLAS/OpenMP threads each of ``n_workers`` workers may use.

    ``blas_threads=None`` means the worker's share of the cores (at least 1).

    Example:
        >>> resolve_thread_limit(None, n_workers=2, n_cpus=8)
        4
        >>> resolve_thread_limit(3, n_workers=2)
        3
    """
    if blas_threads is not None:
        if isinstance(blas_threads, bool) or not isinstance(blas_threads, int) or blas_threads < 1:
            raise ValueError(
                "blas_threads must be a positive int or None, but got "
                f"blas_threads={blas_threads!r}"
            )
        return blas_threads
    cpus = n_cpus if n_cpus is not None else (os.cpu_count() or 1)
    return max(1, cpus // max(1, n_workers))


def thread_limit_env(n_threads: int) -> dict[str, str]:
    """Environment variables that cap native thread pools started after they are set.

    Example:
        >>> thread_limit_env(2)["OMP_NUM_THREADS"]
        '2'
    """
    return {name: str(n_threads) for name in THREAD_ENV_VARS}


def apply_thread_limits(n_threads: int) -> None:
    """Cap native thread pools in this (worker) process to ``n_threads``.

    The environment variables cover libraries loaded later; threadpoolctl, when installed,
    also resizes pools that are already loaded. Calling it again with the same number is free.

    Example:
        >>> import os
        >>> old = {k: os.environ.get(k) for k in THREAD_ENV_VARS}
        >>> apply_thread_limits(1)
        >>> os.environ["OMP_NUM_THREADS"]
        '1'
        >>> reset_thread_limits(old)
    """
    global _active_limiter, _applied
    if _applied == n_threads:
        return
    os.environ.update(thread_limit_env(n_threads))
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:  # optional: the environment variables still cap later pools
        _applied = n_threads
        return
    _active_limiter = threadpool_limits(limits=n_threads)
    _applied = n_threads


def reset_thread_limits(old_env: dict[str, str | None]) -> None:
    """Undo :func:`apply_thread_limits` (used by tests and doctests in the main process)."""
    global _active_limiter, _applied
    if _active_limiter is not None:
        _active_limiter.restore_original_limits()
    _active_limiter = None
    _applied = None
    for name, value in old_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
