"""The annotation store: corrections with full history, VAU-Bench import, training-data export.

No torch and no Gradio here. The app uses `annotate.store.Store`; the command line is
`python -m annotate` (import-csv, export, stats).
"""
