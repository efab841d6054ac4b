"""servicekit: the shared building blocks of the platform's Django services."""

__version__ = "0.1.0"
