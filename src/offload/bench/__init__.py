"""Benchmarks of the engine against its peers (cp, tee, rsync, o/COPY, a DIT's script), in one run.

``python -m offload.bench`` (later ``offload bench``) builds the cases of a plan
(:mod:`offload.bench.plan`), runs their contenders alternately, each in its own subprocess
(:mod:`offload.bench.runner`), and writes raw JSON, a markdown summary and PNG plots under
``bench-results/<timestamp>/`` (:mod:`offload.bench.report`). docs/performance.md explains the
method and what each contender does.
"""
