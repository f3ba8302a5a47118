"""The Experiments view: a study's trials live, its plots, and a trial opened as the project."""
