"""Benchmarks: gas per work, works per second, licence checks per second, replay rate.

Run with ``python -m benchmarks.run [--quick | --full]`` (``make bench``). They start their
own anvil nodes in temporary folders, print a table, and write
``benchmarks/results/latest.json`` and ``docs/BENCHMARKS.md``. Benchmarks are not tests:
nothing here fails on a timing.
"""
