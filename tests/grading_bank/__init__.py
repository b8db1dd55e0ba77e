"""A bank of hostile and broken submissions for the batch grader (built on the fly, see `hostile`)."""
