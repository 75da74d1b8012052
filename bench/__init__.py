"""Jalin's benchmarks (bench/README.md). A package so that ``python -m bench.approval_flow``, run from the
clone's root, always finds this folder first."""
