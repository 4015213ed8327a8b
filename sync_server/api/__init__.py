"""HTTP endpoints: translate the request, call a service, render the result."""
