"""The verification dashboard (``goshfile ui``): images, their evidence, Validate and Trust, in a browser.

:func:`goshfile.ui.app.create_app` is the Starlette app factory;
:mod:`goshfile.ui.evidence` is the one adapter to the library's verification.
"""
