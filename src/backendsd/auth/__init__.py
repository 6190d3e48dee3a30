"""Operator authentication: bearer tokens with a role."""
