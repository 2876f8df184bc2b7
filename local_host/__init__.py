"""A local stand-in for the Azure Functions host: HTTP, queue and timer triggers of function_app."""
