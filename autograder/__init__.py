"""A secure autograder for a deep-learning course on information theory and VAEs.

The engine (this package) runs grader tests (pytest) in a trusted judge process; student
code runs only in a sandboxed child process (:mod:`autograder.sandbox`).
"""
__version__ = "0.1.0"
