"""A second, independent verifier of custodia's formats, written from the specifications in ``spec/`` only.

It verifies and imports the test vectors (``spec/vectors/``) and re-checks an evidence folder offline.
Every check raises :class:`custodia_verify.util.VerifyError` on failure; nothing is repaired.
"""
