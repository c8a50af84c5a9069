"""rtd-tui: a real-time Kafka data monitor in the terminal."""

__version__ = "0.1.0"
