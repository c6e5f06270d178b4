"""`python -m latent_studio` is the same as the `latent-studio` console script."""

from latent_studio.app.cli import main

raise SystemExit(main())
