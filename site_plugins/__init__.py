"""MkDocs plugins of the Knollm site."""
