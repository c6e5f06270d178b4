"""The Sketch panel: the panel (`panel`), the drawing surface (`surface`, `canvas`), the drawing's buffers and
undo (`state`) and the jobs it submits (`jobs`)."""
