"""The routers of the web app, one module per part: each holds its pages and their JSON twins."""
