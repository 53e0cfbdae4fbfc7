"""Classes and functions that tests/test_instantiate.py names in ``_target_`` nodes."""

from __future__ import annotations

from typing import Any, Dict, Tuple


class Point:
    def __init__(self, x: Any = 0, y: Any = 0) -> None:
        self.x = x
        self.y = y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)

    def __repr__(self) -> str:
        return f"Point({self.x!r}, {self.y!r})"

    @classmethod
    def origin(cls) -> "Point":
        return cls(0, 0)


def add(a: Any, b: Any) -> Any:
    return a + b


def describe(*args: Any, **kwargs: Any) -> Tuple[Tuple[str, ...], Dict[str, str]]:
    """The type names of what the target was given: shows conversion and recursion."""
    return (tuple(type(arg).__name__ for arg in args),
            {key: type(value).__name__ for key, value in kwargs.items()})


def echo(*args: Any, **kwargs: Any) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
    return args, kwargs


class Broken:
    def __init__(self, width: int) -> None:
        raise ValueError(f"width {width} is not a power of two")


NOT_CALLABLE = 3.5
