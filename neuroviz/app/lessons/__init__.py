"""The lesson panel and what drives the window during a lesson (presets, events, controls)."""
