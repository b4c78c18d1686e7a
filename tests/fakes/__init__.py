"""Local stand-ins for external services used by the integration tests.

openrouter.py is a fake OpenRouter API (python3 tests/fakes/openrouter.py
--help); it can also be imported as tests.fakes.openrouter.
"""
