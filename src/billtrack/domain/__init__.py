"""The pure core: the model (entities, values, rules) and the use cases that drive it."""
