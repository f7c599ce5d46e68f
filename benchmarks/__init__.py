"""Benchmarks: client CPU per call and per streamed chunk, against the bare openai SDK."""
