"""Central's policies: the rules (policies/*.toml) and the check of a node against them."""
