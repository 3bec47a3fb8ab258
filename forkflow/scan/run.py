"""A workspace's scan, kept in its history: what ``forkflow scan`` and every command that scans first do."""

from __future__ import annotations

from datetime import datetime

from forkflow import faultpoints
from forkflow.scan.cached import ScanDocument
from forkflow.scan.nodes import Progress
from forkflow.scan.pipeline import scan_document
from forkflow.scan.shards import DEFAULT_RUN
from forkflow.workspace import Workspace


def scan_workspace(
    space: Workspace,
    *,
    now: datetime,
    use_cache: bool = True,
    collect_run: str | None = None,
    record: bool = True,
    progress: Progress | None = None,
) -> ScanDocument:
    """Scan (or, with ``collect_run``, collect that run's shards) and, with ``record``, keep the scan
    in the store's history of scans (collecting a run again replaces its record); a read-only
    store keeps no history."""
    document = scan_document(
        space.network,
        space.repo,
        space.store if use_cache else None,
        policy=space.policy,
        now=now,
        progress=progress,
        collect=collect_run is not None,
        run_id=collect_run or DEFAULT_RUN,
    )
    if record and not space.store.read_only:
        run = f"collect:{collect_run}" if collect_run is not None else None
        space.store.record_scan(document.summary, run_id=run)
        faultpoints.reached("scan.recorded")
    return document
