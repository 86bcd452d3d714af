"""bench/sync-bench: the side-by-side synchronization benchmark (docs/benchmarks.md)."""
