"""Shared timing helpers. A benchmark prints figures and ratios to a floor measured in the
same run (the same work done the cheapest possible way); it never asserts a time."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Timing:
    name: str
    samples: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(name: str, fn: Callable[[], object], *, repeat: int = 20, warmup: int = 2) -> Timing:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(name, samples)


def report(timing: Timing, floor: Timing | None = None) -> str:
    line = f"{timing.name:<48} p50 {timing.p50 * 1000:8.2f} ms   p95 {timing.p95 * 1000:8.2f} ms"
    if floor is not None:
        line += f"   ratio to floor {timing.p50 / floor.p50:5.2f}x (floor p50 {floor.p50 * 1000:.2f} ms)"
    print(line, flush=True)
    return line
