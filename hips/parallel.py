"""Running build tasks over the machine's cores, with a progress bar.

Worker processes are started with ``spawn`` (a fresh interpreter) rather than ``fork``: the
caller may hold database connections and server threads that must not be duplicated.
With one worker the tasks run in-process, which is also what tests use.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
R = TypeVar("R")


def run_tasks(function: Callable[[T], R], tasks: Sequence[T], *, workers: int, description: str,
              progress: bool, executor: ProcessPoolExecutor | None = None) -> Iterator[R]:
    """Results of ``function(task)`` for every task, as they complete."""
    bar = tqdm(total=len(tasks), desc=description, unit="task", disable=not progress or not tasks, leave=False)
    try:
        if workers <= 1 or len(tasks) <= 1 or executor is None:
            for task in tasks:
                yield function(task)
                bar.update(1)
            return
        futures = [executor.submit(function, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()
            bar.update(1)
    finally:
        bar.close()


def make_executor(workers: int) -> ProcessPoolExecutor | None:
    """A process pool for ``workers`` > 1 (None means: run in-process)."""
    if workers <= 1:
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


__all__ = ["make_executor", "run_tasks"]
