"""The node network: its tree, fetching its nodes, and shards of it."""
