"""`python -m latent_studio.app` is the same as the `latent-studio` console script."""

import sys

from latent_studio.app.cli import main

sys.exit(main())
