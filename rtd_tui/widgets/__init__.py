"""Dashboard widgets: each renders data the core computed, nothing more."""
