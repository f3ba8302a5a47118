"""Experiments: a search space over block parameters and training settings, searched by Optuna
with its storage holding the study; every trial is an ordinary training run. Sits above train
(it runs the engine); importing this package loads neither torch nor Optuna."""
