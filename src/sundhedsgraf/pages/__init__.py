"""The HTML pages for people, and the pictures they show."""
