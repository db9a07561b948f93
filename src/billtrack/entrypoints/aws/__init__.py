"""AWS Lambda handlers: thin shells over the application, bootstrapped once per container."""
