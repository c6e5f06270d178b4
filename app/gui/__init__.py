"""The editor window (PySide6). Nothing under app.gui imports torch directly: compute runs as app.core jobs."""
