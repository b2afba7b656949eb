"""The output view (decision boundary or predictions, confusion matrix) and the charts."""
