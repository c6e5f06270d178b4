"""PyTorch architectures, their training recipes, and the registry that loads the shipped weights.

Never imports Qt: the GUI reaches models only through jobs in `app.core`.
"""
