"""Sample submission with a mistake: sample_images is missing (renamed or deleted); the other functions are right."""
# expect-fail: 1.7 2.11 2.13
# remove: sample_images
