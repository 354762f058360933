"""desk: the web pages clerks and officers work in."""
