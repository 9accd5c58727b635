"""Long-lived access keys: where they are, what IAM says of them, and their retirement."""
