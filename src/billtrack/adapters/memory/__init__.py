"""In-memory adapters: fast, dependency-free fakes for tests and the demo, held to the same contract
tests as the real adapters."""
