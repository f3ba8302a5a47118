"""Nearest neighbours of a sample in the feature space of the last hidden layer."""
from __future__ import annotations

import numpy as np

from .gradcam import output_node


def hidden_node(net, graph) -> str:
    """The layer feeding the output layer: the 'last hidden layer'."""
    out = output_node(net)
    src = graph.inputs_of(out)
    return src[0] if src else out


def embed(net, images, node: str, batch_size: int = 64) -> np.ndarray:
    """N×D features: `node`'s output for every image, flattened."""
    import torch

    was_training = net.training
    net.eval()
    device = next((p.device for p in net.parameters()), torch.device("cpu"))
    feats = []
    try:
        with torch.no_grad():
            for i in range(0, len(images), batch_size):
                x = torch.as_tensor(np.asarray(images[i:i + batch_size], dtype=np.float32)).to(device)
                feats.append(net(x, return_all=True)[node].reshape(len(x), -1).float().cpu().numpy())
    finally:
        net.train(was_training)
    return np.concatenate(feats) if feats else np.zeros((0, 0), np.float32)


def nearest(features: np.ndarray, query: np.ndarray, k: int = 8, exclude: int | None = None):
    """(indices, cosine similarities) of the k rows of `features` most like `query`."""
    f = np.asarray(features, np.float32)
    q = np.asarray(query, np.float32).ravel()
    norms = np.linalg.norm(f, axis=1) * (np.linalg.norm(q) or 1.0)
    sim = np.where(norms > 0, f @ q / np.where(norms > 0, norms, 1), 0.0)
    if exclude is not None:
        sim[exclude] = -np.inf
    order = np.argsort(-sim, kind="stable")[:k]
    return order, sim[order]
