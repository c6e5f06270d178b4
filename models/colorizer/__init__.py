"""colorizer model package."""
