"""The routes of the v1 contract, one module per resource."""
