"""Live manager sessions: the connection registry, its health monitor and history."""
