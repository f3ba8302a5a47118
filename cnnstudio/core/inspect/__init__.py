"""Looking inside a network: filters, feature maps, receptive fields, predictions,
confusion matrix, Grad-CAM, nearest neighbours, the epoch timeline and the HTML report.

Everything returns numpy arrays (images as uint8 mosaics) so a view can show one picture
per panel. Qt-free. Importing this package imports neither torch nor matplotlib: the
modules that need torch import it inside their functions.
"""
