"""How a resolved branch or tag reaches the frontend (kept free of heavy imports).

``goshfile build --allow-ref`` resolves ``gosh://…#ref`` to a commit and passes
the build arg ``gosh-pin:<url>#<ref>=<commit>``.
"""

PIN_PREFIX = "gosh-pin:"
