"""CNN Studio: design, train and understand convolutional networks visually."""
__version__ = "0.1.0"
