"""Password hashing: Argon2id for new hashes, and the original service's PBKDF2 format verified."""
