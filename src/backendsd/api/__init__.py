"""The gRPC management API: servicers, the server around them and its interceptor."""
