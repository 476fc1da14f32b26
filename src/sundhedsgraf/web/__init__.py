"""Serving a build over HTTP: responses, content negotiation, linked-data documents."""
