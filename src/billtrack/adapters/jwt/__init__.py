"""Access tokens as compact JWS (HS256), as the original service issued them."""
