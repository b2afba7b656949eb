"""The data panel: datasets, noise, split, batch size, input features."""
