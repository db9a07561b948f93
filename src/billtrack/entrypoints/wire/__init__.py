"""What HTTP and the command line both print: the answer models and their JSON encoding."""
