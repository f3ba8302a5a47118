"""Layer 4, building: the torch compiler (graph → nn.Module) and the standalone PyTorch
source export. Importing this package is cheap; its modules import torch when used."""
