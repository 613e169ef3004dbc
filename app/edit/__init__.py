"""Dataset edits by stream copy: delete, split, merge, modify tasks, remove a feature, keep accepted.

Each operation module builds a Plan (plan.py); build.py writes any Plan as a new dataset, copying
data rows and video packets without decoding (packets.py).
"""
