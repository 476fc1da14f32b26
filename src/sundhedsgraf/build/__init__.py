"""The build: from the curated Turtle to a validated, published dist/."""
