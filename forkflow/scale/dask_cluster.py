"""Shards on a Dask cluster: ``forkflow scan --dask ADDRESS``.

For users who already run Dask: each shard is one task.  A task needs nothing from this
machine but plain data (the manifest with its urls made absolute, the policy, the store's
URL, the shard and the run id): on its worker it keeps a working repository of its own per
shard (so the next run's fetch is incremental), fetches the shard's nodes, their parents and
central, and compares them into the shared store.  This machine then collects the report
from the store, exactly as ``forkflow scan --collect`` does.  This is the only module that
imports dask.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forkflow.credential import Credential
from forkflow.errors import ForkflowError, ManifestError, ShardError
from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import MANIFEST_NAME, Manifest
from forkflow.network.fetch import apply_fetch, plan_fetch
from forkflow.network.shard import Shard
from forkflow.network.tree import Network
from forkflow.policy.rules import Policy
from forkflow.scan.shards import scan_shard
from forkflow.store.store import Store
from forkflow.workspace import Workspace


@dataclass(frozen=True)
class ShardJob:
    """All a worker needs to run one shard: plain data, so it travels to any machine."""

    manifest: dict[str, Any]
    policy: dict[str, Any]
    store: str
    shard: tuple[int, int]
    run_id: str
    workdir: str | None = None  # where the worker keeps its repositories; None: its temp folder


@dataclass
class ShardDone:
    shard: str  # "K/N"
    number: int  # K
    compared: int = 0
    problems: list[str] = field(default_factory=list)  # fetches that failed, or why the shard failed


def run_shard(job: ShardJob) -> ShardDone:
    """One shard, on a worker.  Never raises for a forkflow error: it reports it."""
    shard = Shard(*job.shard)
    done = ShardDone(str(shard), shard.number)
    base = Path(job.workdir or Path(tempfile.gettempdir()) / "forkflow-shards")
    folder = base / str(job.manifest["network"]["name"]) / f"shard-{shard.number}-of-{shard.count}"
    try:
        repo = GitRepo(folder) if (folder / ".git").is_dir() else GitRepo.init(folder)
        manifest = Manifest.model_validate({**job.manifest, "path": folder / MANIFEST_NAME})
        network = Network(manifest)
        steps = plan_fetch(network, set(shard.fetched(network)))
        for result in apply_fetch(repo, steps, credential=Credential.from_env(os.environ)):
            if not result.ok:
                done.problems.append(f"{result.step.node}: {result.error}")
        store = Store(job.store)
        try:
            compared = scan_shard(
                network, repo, store, shard, run_id=job.run_id, policy=Policy.model_validate(job.policy)
            )
        finally:
            store.close()
        done.compared = len(compared)
    except ForkflowError as err:
        done.problems.append(str(err))
    return done


def shard_jobs(space: Workspace, count: int, run_id: str, workdir: str | None = None) -> list[ShardJob]:
    """The tasks for ``count`` shards of the workspace's network; refuses what a worker could not reach."""
    if count < 1:
        raise ShardError(f"--shards {count}: give 1 or more")
    by_ref = [spec.name for spec in space.manifest.nodes if spec.url is None and not spec.retired]
    if by_ref:
        raise ManifestError(
            str(space.manifest.path),
            f"nodes {', '.join(by_ref)} are read by ref from this repository, "
            f"which the workers do not have; give them a url to scan them on a cluster",
        )
    nodes = [
        spec.model_copy(update={"url": space.manifest.resolve_url(spec.url)}) if spec.url else spec
        for spec in space.manifest.nodes
    ]
    manifest = space.manifest.model_copy(update={"nodes": tuple(nodes)}).model_dump(mode="json", by_alias=True)
    manifest.pop("path")
    policy = space.policy.model_dump(mode="json")
    return [ShardJob(manifest, policy, space.store.address, (k, count), run_id, workdir) for k in range(1, count + 1)]


def scan_on_cluster(
    space: Workspace,
    address: str,
    *,
    shards: int | None = None,
    run_id: str,
    workdir: str | None = None,
    on_done: Callable[[ShardDone], None] | None = None,
) -> list[ShardDone]:
    """Run the shards as tasks on the Dask scheduler at ``address`` (one shard per worker
    thread unless ``shards`` says); their outcomes.  Collect the report afterwards."""
    try:
        from distributed import Client, as_completed
    except ImportError as err:
        raise ShardError("--dask needs Dask: pip install 'forkflow[dask]'") from err
    _check_reachable(address)
    try:
        client = Client(address, timeout=30)
    except OSError as err:
        raise ShardError(f"cannot reach the Dask scheduler at {address}: {err}") from err
    outcomes = []
    try:
        count = shards or max(1, sum(client.nthreads().values()))
        jobs = shard_jobs(space, count, run_id, workdir)
        keys = [f"forkflow-{job.run_id}-shard-{job.shard[0]}-of-{job.shard[1]}" for job in jobs]
        futures = client.map(run_shard, jobs, pure=False, key=keys)
        shard_of = {future.key: Shard(*job.shard) for future, job in zip(futures, jobs, strict=True)}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as err:  # the worker died, or the task could not run there
                shard = shard_of[future.key]
                outcome = ShardDone(str(shard), shard.number, problems=[f"the task failed on its worker: {err}"])
            outcomes.append(outcome)
            if on_done is not None:
                on_done(outcome)
    finally:
        client.close()
    return sorted(outcomes, key=lambda done: done.number)


def _check_reachable(address: str) -> None:
    """Fail at once on a scheduler nobody listens at (Dask itself retries for its whole timeout)."""
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    if not address.startswith("tcp://") or not port.isdigit():
        return  # another protocol (tls://, inproc://): Dask will say
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as err:
        raise ShardError(f"cannot reach the Dask scheduler at {address}: {err.strerror or err}") from err
