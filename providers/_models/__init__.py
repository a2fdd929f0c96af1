"""The model layer: the shipped catalogue, models.json / models.toml, their schema, the table."""
