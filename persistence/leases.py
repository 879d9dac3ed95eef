"""One turn at a time per thread, across processes and machines.

A turn takes the thread's lease (a row in ``thread_leases`` of the artifact database, so
it works wherever that database is shared: one SQLite file for the processes of a
machine, PostgreSQL for several machines) and renews it while it runs. A second turn on a
busy thread waits up to a bounded time, then is refused with :class:`ThreadBusy`. A holder
killed outright stops renewing, and its lease runs out after ``lease_s`` seconds.
"""

from __future__ import annotations

from datetime import datetime

from .store import StoreError


class ThreadBusy(StoreError):
    """Another turn holds the thread; ``started_at`` says since when (UTC)."""

    def __init__(self, thread_id: str, started_at: datetime) -> None:
        self.thread_id = thread_id
        self.started_at = started_at
        super().__init__(
            f"thread {thread_id} is busy with a turn started at "
            f"{started_at.astimezone().strftime('%H:%M:%S')}; try again, or wait with --wait"
        )
