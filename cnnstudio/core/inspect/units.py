"""What one unit (a conv channel) looks for, after Zeiler & Fergus: the test patches that
excite it most, cropped to the unit's receptive field, and an activation-maximisation
picture (gradient ascent on the input, with a little decay and blur as regularisation).
Works for images, signals and volumes. Imports torch."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .receptive import receptive_field


@dataclass
class Patch:
    index: int  # the test sample
    position: tuple  # the unit's position in the layer's output
    value: float  # its activation there
    box: tuple  # the receptive field in the input: (first, last) per spatial axis, flattened
    patch: np.ndarray  # the sample cropped to the box, C×…


def crop(sample: np.ndarray, box: tuple) -> np.ndarray:
    """One sample C×… cropped to a receptive-field box (first, last pairs per spatial axis)."""
    spans = tuple(slice(box[i], box[i + 1] + 1) for i in range(0, len(box), 2))
    return sample[(slice(None),) + spans]


def top_patches(net, graph, analysis, images, node: str, channel, k: int = 9,
                batch_size: int = 256, between=None) -> list:
    """The k samples whose strongest response of `channel` at `node` is highest (one patch per
    sample, as in Zeiler & Fergus), strongest first. `between()` runs before every batch (the
    inspection worker answers quicker requests there). `channel` a list: a list of such lists,
    from one pass over the samples."""
    import torch

    channels = list(channel) if isinstance(channel, (list, tuple)) else [channel]
    net.eval()
    best_val, best_pos = [], []
    for i in range(0, len(images), batch_size):
        if between is not None:
            between()  # outside no_grad: a Grad-CAM may be answered there
        with torch.no_grad():
            x = torch.as_tensor(np.asarray(images[i:i + batch_size], np.float32))
            a = net(x, until=node)[:, channels].float()  # N×channels×(spatial)
            flat = a.reshape(len(x), len(channels), -1)
            v, where = flat.max(2)
            best_val.append(v.numpy())
            best_pos.append(np.stack(np.unravel_index(where.numpy(), a.shape[2:]), 2) if a.dim() > 2
                            else np.zeros((len(x), len(channels), 0), int))
    values, positions = np.concatenate(best_val), np.concatenate(best_pos)
    found = []
    for c in range(len(channels)):
        out = []
        for idx in np.argsort(-values[:, c], kind="stable")[:k]:
            pos = tuple(int(p) for p in positions[idx, c])
            box = receptive_field(graph, analysis, node, *pos)
            out.append(Patch(int(idx), pos, float(values[idx, c]), box, crop(np.asarray(images[idx]), box)))
        found.append(out)
    return found if isinstance(channel, (list, tuple)) else found[0]


def activation_maximisation(net, node: str, channel, shape, steps: int = 120, lr: float = 0.1,
                            decay: float = 0.01, blur_every: int = 4, seed: int = 0, between=None) -> np.ndarray:
    """An input (normalised like the data, shape C×…) that makes the unit at the centre of
    `channel` at `node` respond strongly (its value before the block's own activation):
    gradient ascent from faint noise, with L2 decay
    and a light blur now and then, so it shows a pattern rather than noise. Only the input's
    gradient is taken (the weights are left as they are: `between()`, run every few steps, may
    use the network meanwhile). `channel` a list: one input per channel (N×C×…), found together
    in one batch (each input's loss depends on it alone: the network is in eval mode)."""
    import torch

    channels = list(channel) if isinstance(channel, (list, tuple)) else [channel]
    net.eval()
    gen = torch.Generator().manual_seed(seed)
    x = (0.01 * torch.randn(1, *shape, generator=gen)).repeat(len(channels), *[1] * len(shape)).requires_grad_(True)
    # Adam written out: torch.optim's first optimizer imports torch._dynamo (≈1.4 s of a report)
    m, v, b1, b2, eps = torch.zeros_like(x), torch.zeros_like(x), 0.9, 0.999, 1e-8
    rows = torch.arange(len(channels))
    for step in range(steps):
        if between is not None and step % 10 == 0:
            between()
        # before the block's activation: a ReLU unit silent for faint noise (most are) gives
        # no gradient, and its picture stayed the noise it started from
        a = net(x, until=node, before_activation=True)[rows, channels]  # N×(spatial); nothing after `node` run
        centre = a[(slice(None), *(s // 2 for s in a.shape[1:]))]
        loss = -centre.sum() + decay * (x ** 2).sum()
        g, = torch.autograd.grad(loss, x)
        with torch.no_grad():
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            x.sub_(lr * (m / (1 - b1 ** (step + 1))) / ((v / (1 - b2 ** (step + 1))).sqrt() + eps))
            if blur_every and step % blur_every == blur_every - 1:
                x.copy_(_blur(x))
    out = x.detach().numpy()
    return out if isinstance(channel, (list, tuple)) else out[0]


def _blur(x):
    """A [1, 2, 1]/4 blur along every spatial axis, mixed in lightly."""
    import torch.nn.functional as F

    out = x
    for axis in range(2, x.dim()):
        pad = [0, 0] * (x.dim() - 2)
        pad[2 * (x.dim() - 1 - axis)] = pad[2 * (x.dim() - 1 - axis) + 1] = 1
        padded = F.pad(out, pad, mode="replicate")
        n = out.shape[axis]
        out = (padded.narrow(axis, 0, n) + 2 * padded.narrow(axis, 1, n) + padded.narrow(axis, 2, n)) / 4
    return 0.7 * x + 0.3 * out


def unit_picture(insp, node: str, channel: int, k: int = 9, size: int = 56, between=None,
                 found=None) -> tuple[np.ndarray, str]:
    """(one picture: the top-k patches side by side, then the activation-maximisation image;
    a caption) for `channel` of `node` over the Inspection's test samples. With `between`, in
    batches of 32, so it runs every few seconds at most. `found`: (patches, image) when already
    found (see unit_pictures)."""
    from .mosaic import as_rgb, normalize, to_uint8, upscale

    patches, am = found or (top_patches(insp.net, insp.graph, insp.analysis, insp.images, node, channel, k,
                                        32 if between else 256, between),
                            activation_maximisation(insp.net, node, channel, insp.shape, between=between))
    pictures = [as_rgb(insp.to_display(p.patch)[0]) for p in patches]
    made = "last, an input made by gradient ascent to excite it"
    if am.ndim == 4:  # a volume: its depth slices, tiles of their own (the middle slice alone was a dot)
        centre = [n // 2 for n in insp.analysis.info[node].shape[1:]]
        box = receptive_field(insp.graph, insp.analysis, node, *centre)
        am_pic, shown, strongest = depth_slices(am, box, size)
        z0, z1 = box[:2] if box else (0, am.shape[1] - 1)
        every = "its" if len(shown) == z1 - z0 + 1 else f"{len(shown)} of its"
        mean = f", averaged over its {am.shape[0]} channels" if am.shape[0] not in (1, 3) else ""
        made += (f", cut to its receptive field: {every} {z1 - z0 + 1} depth slices (input depth {z0}–{z1}{mean}) "
                 f"front to back on one scale, underlined where the pattern is strongest (depth {z0 + strongest})")
    elif am.ndim == 3:  # an image: its own range, as the filters are shown
        am_pic = as_rgb(to_uint8(normalize(am.transpose(1, 2, 0) if am.shape[0] == 3 else am[0])))
    else:  # a signal's line plot
        am_pic = as_rgb(insp.to_display((am - am.mean()) / (am.std() or 1))[0])

    def fit(p):
        return upscale(p, max(1, size // max(p.shape[:2])))
    pictures = [fit(p) for p in pictures] + [fit(am_pic)]
    h = max(p.shape[0] for p in pictures)
    gap = np.full((h, 4, 3), 255, np.uint8)
    row = []
    for i, p in enumerate(pictures):
        if i == len(pictures) - 1:
            row.append(np.full((h, 12, 3), 255, np.uint8))  # set the synthesised picture apart
        row += [np.pad(p, ((0, h - p.shape[0]), (0, 0), (0, 0)), constant_values=255), gap]
    middle = " (their middle depth slice)" if am.ndim == 4 else ""
    caption = (f"{node} channel {channel}: the {len(patches)} test patches that excite it most "
               f"(strongest first, {', '.join(f'{p.value:.3g}' for p in patches[:3])}, …), each cropped to the "
               f"unit's receptive field{middle}; {made}.")
    return np.concatenate(row[:-1], 1), caption


def depth_slices(volume: np.ndarray, box, size: int = 56, most: int = 16) -> tuple[np.ndarray, list, int]:
    """A volume C×D×H×W made to excite a unit, cut to its receptive field `box` → (one picture of
    its depth slices as tiles, front to back in rows (one row up to 4 slices, else two rows)
    about `size` pixels tall, on one scale so the slices compare, with the slice where the
    pattern is strongest (largest spread) underlined in blue; the slices shown (all, or `most`
    evenly spaced with the strongest); the strongest). Three channels are shown in colour,
    other counts averaged."""
    from .mosaic import normalize, to_uint8, upscale

    v = crop(volume, box) if box else volume
    v = v if v.shape[0] == 3 else v.mean(0, keepdims=True)
    _, d, h, w = v.shape
    strongest = int(np.argmax(((v - v.mean()) ** 2).sum(axis=(0, 2, 3))))
    shown = sorted(set(np.linspace(0, d - 1, most).round().astype(int).tolist()) | {strongest}) if d > most \
        else list(range(d))
    rows = 1 if len(shown) <= 4 else 2
    per_row = -(-len(shown) // rows)
    f = max(1, round((size // rows - 5) / max(h, w)))  # the tiles as tall as the patches beside them
    tiles = upscale(to_uint8(normalize(v[:, shown])).transpose(1, 2, 3, 0), f, axes=(1, 2))  # shown×h·f×w·f×C
    th, tw, g = h * f, w * f, 2
    out = np.full((rows * (th + 5), per_row * (tw + g) - g, 3), 255, np.uint8)
    for k, t in enumerate(tiles):
        y, x = (k // per_row) * (th + 5), (k % per_row) * (tw + g)
        out[y:y + th, x:x + tw] = t
        if shown[k] == strongest:
            out[y + th + 1:y + th + 4, x:x + tw] = (21, 101, 192)
    return out, shown, strongest


def unit_pictures(insp, node: str, channels: list[int], k: int = 9) -> list[tuple[np.ndarray, str]]:
    """unit_picture for several channels of one layer, their patches and inputs found together."""
    patches = top_patches(insp.net, insp.graph, insp.analysis, insp.images, node, channels, k)
    ams = activation_maximisation(insp.net, node, channels, insp.shape)
    return [unit_picture(insp, node, c, k, found=(p, am)) for c, p, am in zip(channels, patches, ams)]
