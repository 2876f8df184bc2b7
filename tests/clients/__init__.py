"""Tests of the client modules (clients/) against the real local host."""
