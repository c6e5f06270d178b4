"""sketch model package."""
