"""What every layer shares: the records, the errors, path names for display, and text segmentation."""
