"""Training dock: dataset choice and preview, hyperparameters, run control, live curves."""
