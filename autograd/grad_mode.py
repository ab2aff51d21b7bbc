"""``no_grad``: a switch, per thread, that makes ops build no graph.

    >>> from autograd import Value, no_grad, is_grad_enabled
    >>> with no_grad():
    ...     is_grad_enabled(), (Value(2.0) * 3).parents
    (False, ())
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Callable

__all__ = ["no_grad", "is_grad_enabled"]


class _GradMode(threading.local):
    off = 0  # > 0 inside no_grad (per thread: threading.local gives each thread its own)


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless this thread is inside ``no_grad``."""
    return _mode.off == 0


class no_grad:
    """Build no graph inside this block or function: results are plain leaves.

    Works as a context manager and as a decorator (``@no_grad`` or ``@no_grad()``).
    The switch is per thread: ``no_grad`` in one thread does not affect another.

    >>> from autograd import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.parents
    ()
    """

    def __init__(self, func: Callable | None = None):
        if func is not None:
            if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
                # other tasks run on this thread while it awaits: the switch would leak into them
                raise TypeError(f"no_grad cannot decorate the async function {func.__qualname__}; "
                                f"use 'with no_grad():' around the work inside it")
            if inspect.isgeneratorfunction(func):
                func = _generator_without_grad(func)
            functools.update_wrapper(self, func)
        self._func = func

    def __enter__(self) -> "no_grad":
        _mode.off += 1
        return self

    def __exit__(self, *exc) -> None:
        _mode.off -= 1

    def __call__(self, *args, **kwargs):
        if self._func is None:  # used as @no_grad(): wrap the function we are given
            if len(args) != 1 or kwargs or not callable(args[0]):
                raise TypeError("no_grad() used as a decorator expects one function")
            return no_grad(args[0])
        with self:
            return self._func(*args, **kwargs)

    def __get__(self, obj, objtype=None):  # so @no_grad works on methods too
        if obj is None or self._func is None:
            return self
        return functools.partial(self.__call__, obj)


def _generator_without_grad(func: Callable) -> Callable:
    """``func`` (a generator function) whose body runs under no_grad each time it resumes,
    and only then: between two ``next`` calls the caller's own setting holds."""
    @functools.wraps(func)
    def resumed_without_grad(*args, **kwargs):
        gen = func(*args, **kwargs)
        send, value = gen.send, None
        while True:
            try:
                with no_grad():
                    item = send(value)
            except StopIteration as done:
                return done.value
            try:
                value = yield item
                send = gen.send
            except GeneratorExit:
                gen.close()
                raise
            except BaseException as e:  # thrown in by the caller: pass it on to the body
                value, send = e, gen.throw
    return resumed_without_grad
