"""One engine's benchmark process: reads jobs as JSON lines on stdin, answers one JSON line each.

    python -m benchmarks.worker glassgrad|micrograd|torch

Every engine runs in a process of its own, so one engine's imports and garbage never land
in another's heap (micrograd leaves cyclic garbage that the next collection must walk), and
a crash (micrograd overflowing the C stack) ends only that worker: the coordinator reports
"fails" and starts a new one. Before each timed run the worker collects garbage, untimed;
the time the cyclic collector spends inside the timed run is measured (``gc.callbacks``).
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
import tracemalloc

from .engines import ENGINES, demo_learning_rate, needs_deep_recursion


class _CollectorClock:
    """Seconds and collections per generation of the cyclic GC, while switched on."""

    def __init__(self):
        self.on = False
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if not self.on:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start
            self.collections[info["generation"]] += 1

    def start(self, pause_collector: bool = False) -> None:
        """Start measuring; ``pause_collector`` switches the collector off until ``stop``
        (the "GC paused" rows: what a loop gains by pausing it, as ``nn.fit`` could)."""
        self.seconds, self.collections, self.on = 0.0, [0, 0, 0], True
        self.paused = pause_collector and gc.isenabled()
        if self.paused:
            gc.disable()

    def stop(self) -> dict:
        if self.paused:
            gc.enable()
        self.on = False
        return {"gc": self.seconds, "collections": list(self.collections)}


class Worker:
    def __init__(self, engine_name: str):
        self.engine = ENGINES[engine_name]()
        self.clock = _CollectorClock()
        self.demo_step_index: dict[str, int] = {}
        self.last_loss: dict = {}  # per demo model: the loss of its last step, alive as in a loop
        self.data: dict = {}

    # -- jobs ----------------------------------------------------------------------------------------
    def info(self, job: dict) -> dict:
        return {"version": self.engine.version(), "recursion_limit": sys.getrecursionlimit()}

    def graph(self, job: dict) -> dict:
        """Forward (build the graph) and backward of ``chain`` or ``wide``, timed apart."""
        build = getattr(self.engine, job["workload"])
        gc.collect()
        self.clock.start(job.get("pause_gc", False))
        t0 = time.perf_counter()
        built = build(job["n"], job.get("variant", ""))
        t1 = time.perf_counter()
        root = built[1] if isinstance(built, tuple) else built
        self.engine.backward(root)
        t2 = time.perf_counter()
        result = self.clock.stop()
        result.update(forward=t1 - t0, backward=t2 - t1, total=t2 - t0)
        if isinstance(built, tuple):
            result["check"] = self.engine.grad_of(built[0])
        del built, root
        gc.collect()
        return result

    def memory(self, job: dict) -> dict:
        """Bytes per node: what tracemalloc sees allocated while the graph is built (and after
        backward), divided by the number of values in the graph, leaves included."""
        build = getattr(self.engine, job["workload"])
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            built = build(job["n"], job.get("variant", ""))
            after_forward = tracemalloc.get_traced_memory()[0]
            root = built[1] if isinstance(built, tuple) else built
            self.engine.backward(root)
            gc.collect()
            after_backward = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        nodes = self.engine.count(root)
        del built, root
        gc.collect()
        return {"nodes": nodes, "bytes_forward": after_forward - base, "bytes_backward": after_backward - base}

    def demo_setup(self, job: dict) -> dict:
        key = job["key"]
        self.engine.demo_setup(key, job["weights"], job["fused"])
        self.data[key] = (job["X"], job["y"])
        self.demo_step_index[key] = 0
        loss = self.engine.demo_forward(key, *self.data[key])
        value = self.engine.loss_value(loss)
        nodes = self.engine.count(loss)
        del loss
        gc.collect()
        return {"loss": value, "nodes": nodes}

    def demo_step(self, job: dict) -> dict:
        """One training step as micrograd's demo loop runs it (``total_loss, acc = loss()``, then
        backward and update, in a ``for`` loop). A model's steps in this worker are one loop: no
        collection is forced between them, the untimed step just before the timed one is the
        loop going on, and each step's loss stays alive until the next forward pass has built
        its graph and the name is rebound. Whatever garbage the loop leaves, the timed step's
        collections deal with, as they would in the demo."""
        key = job["key"]
        for other in [k for k in self.last_loss if k != key]:
            del self.last_loss[other]  # no graph of another model in the heap
        self._step(key)
        steps = job.get("steps", 1)  # timed one after the other; their mean smooths when collections fall
        self.clock.start(job.get("pause_gc", False))
        parts = [self._step(key) for _ in range(steps)]
        collector = self.clock.stop()
        result = {name: sum(part[name] for part in parts) / steps for name in parts[0]}
        result.update(gc=collector["gc"] / steps, collections=collector["collections"])
        return result

    def _step(self, key: str) -> dict:
        engine, (X, y) = self.engine, self.data[key]
        lr = demo_learning_rate(self.demo_step_index[key])
        self.demo_step_index[key] += 1
        if key.endswith("nn.fit"):
            t0 = time.perf_counter()
            engine.demo_fit(key, X, y, lr)
            return {"total": time.perf_counter() - t0}
        t0 = time.perf_counter()
        loss = engine.demo_forward(key, X, y)
        self.last_loss[key] = loss  # the loop's `loss = ...`: only now is the last step's graph let go
        t1 = time.perf_counter()
        engine.demo_backward(key, loss)
        t2 = time.perf_counter()
        engine.demo_update(key, lr)
        del loss
        t3 = time.perf_counter()
        return {"forward": t1 - t0, "backward": t2 - t1, "update": t3 - t2, "total": t3 - t0}

    def draw(self, job: dict) -> dict:
        return self._graph_tool(job, self.engine.draw)

    def trace(self, job: dict) -> dict:
        return self._graph_tool(job, self.engine.trace)

    def _graph_tool(self, job: dict, tool) -> dict:
        root = self.engine.neurons(job["n_inputs"], job["widths"])
        self.engine.backward(root)
        nodes = self.engine.count(root)
        gc.collect()
        self.clock.start()
        t0 = time.perf_counter()
        made = tool(root)
        t1 = time.perf_counter()
        result = self.clock.stop()
        del made, root
        gc.collect()
        result.update(total=t1 - t0, nodes=nodes)
        return result


def serve(engine_name: str) -> None:
    worker = Worker(engine_name)
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing an engine prints may corrupt the answers
    for line in sys.stdin:
        job = json.loads(line)
        try:
            answer = {"ok": True, **getattr(worker, job["job"])(job)}
        except Exception as e:  # noqa: BLE001 - reported to the coordinator, which shows it
            answer = {"ok": False, "error": f"{type(e).__name__}: {e}"[:500]}
        out.write(json.dumps(answer) + "\n")
        out.flush()


def main() -> None:
    engine_name = sys.argv[1]
    if not needs_deep_recursion(engine_name):
        serve(engine_name)  # in the main thread, at the default recursion limit
        return
    # micrograd recurses once per node: a raised limit, and a thread with a big C stack
    sys.setrecursionlimit(10**8)
    threading.stack_size(1024 * 1024 * 1024)
    thread = threading.Thread(target=serve, args=(engine_name,))
    thread.start()
    thread.join()


if __name__ == "__main__":
    main()
