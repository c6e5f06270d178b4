"""Latent Studio: a desktop image editor whose tools are neural networks trained by this project.

`app.core` is the headless core (image I/O, colour spaces, jobs, devices) that the GUI (`app.gui`), the
command line (`app.cli`) and the tests all drive the same way.
"""

__version__ = "0.1.0"
