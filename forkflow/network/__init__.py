"""The node network: its tree, fetching its nodes, shards of it, and forks discovered on the forge."""
