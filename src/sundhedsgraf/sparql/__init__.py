"""The SPARQL endpoint: protocol, query guard, worker processes, federation, result formats."""
