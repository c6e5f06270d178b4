"""vae model package."""
