"""Verification: properties, the complete engine, results, and the Marabou backend."""

from .engine import verify
from .properties import ClassWins, Conjunction, OutputAvoids, OutputIn, Property
from .query import StrictPolyhedron
from .result import Result

__all__ = ["ClassWins", "Conjunction", "OutputAvoids", "OutputIn", "Property", "Result", "StrictPolyhedron", "verify"]
