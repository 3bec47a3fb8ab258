"""The manifest: the network's nodes (forkflow.toml), read, checked and edited."""
