"""The class tools: grading a whole class (batch, on this machine or on Dask), its gradebook,
report, published results and LMS exports. Instructors only: not in the student bundle."""
