"""forkflow: run one product as many local copies without losing control of it.

The public API is small: load a manifest, open the working repository, scan.

    from forkflow import load_manifest, GitRepo, Store, scan_network
"""

__version__ = "0.1.0"  # before the imports: forkflow.codeid reads it while they run

from forkflow.errors import (
    ConflictError,
    ForgeError,
    ForkflowError,
    GitError,
    ManifestError,
    PolicyError,
)
from forkflow.gitrepo import GitRepo
from forkflow.manifest.spec import Manifest, load_manifest
from forkflow.model import ScanReport
from forkflow.network.tree import Network
from forkflow.scan.pipeline import scan_network
from forkflow.store.store import Store

__all__ = [
    "ConflictError",
    "ForgeError",
    "ForkflowError",
    "GitError",
    "GitRepo",
    "Manifest",
    "ManifestError",
    "Network",
    "PolicyError",
    "ScanReport",
    "Store",
    "__version__",
    "load_manifest",
    "scan_network",
]
