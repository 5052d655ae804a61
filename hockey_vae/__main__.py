"""`python -m hockey_vae` runs the CLI."""

import sys

from hockey_vae.cli import main

sys.exit(main())
