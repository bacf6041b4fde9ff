"""The API: the only code that talks HTTP (client), its error map, the shared rate limit and the
Pancake simulator.
"""
