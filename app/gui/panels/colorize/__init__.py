"""The Colorize panel: the panel itself (`panel`), its widgets (`layout`), hints and scribbles on the canvas
(`hints`), the palette of suggestions (`palette`) and the jobs it submits (`jobs`)."""
