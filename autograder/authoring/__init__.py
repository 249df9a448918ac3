"""The course authors' tools: student templates from the solutions, the Gradescope zip and the
student bundle, and the layout rules that say what goes where. Not in the student bundle."""
