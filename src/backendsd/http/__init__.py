"""The HTTP/JSON API: the operators' documented paths, served beside the gRPC API."""
