"""What an operator sees of a running server: JSON logs with a request id, Prometheus
metrics, and the readiness of its database."""
