"""VAU-R1 Studio's Gradio UI: `build_app(settings)` in app.ui; settings in app.settings.

Importing this package loads neither a model nor a database; `build_app` opens the store and
starts loading the model, `app.py` at the repository root launches it.
"""
