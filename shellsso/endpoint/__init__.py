"""The local container-credentials endpoint of `shellsso serve` and `exec --server`."""
