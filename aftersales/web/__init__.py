"""Console shell: layout, login, static assets. Each domain adds its own pages and nav entries."""
