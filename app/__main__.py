"""`python -m app` is the same as the `latent-studio` console script."""

import sys

from app.cli import main

sys.exit(main())
