"""The scan: an anomaly score curve over a video from sliding windows.

`python -m inference scan`; the maths in `windows`, the scored reply in `reply`, the
in-process scorer in `local`, one scan in `scanner`.
"""
