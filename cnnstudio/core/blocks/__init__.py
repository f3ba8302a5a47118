"""The block catalogue. Importing this package registers every block.

To add a block: write one `register(BlockSpec(...))` in the file for its kind.
"""
from .spec import CATALOGUE, CATEGORIES, BlockError, BlockSpec, Out, Param, register
from . import activations, conv, layers, composite, extra, mobile, zoo  # noqa: F401  (registration)
from . import conv_nd, transpose, deform, custom, channels, padding, torch_module, unpool  # noqa: F401  (registration)
from .composite import inner_layers

__all__ = ["CATALOGUE", "CATEGORIES", "BlockError", "BlockSpec", "Out", "Param", "register",
           "inner_layers"]
