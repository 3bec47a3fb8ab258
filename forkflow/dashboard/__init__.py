"""The dashboard: one issue in central's repository that shows the network and the actions held for a person."""
