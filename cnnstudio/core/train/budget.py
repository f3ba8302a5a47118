"""Will training fit in this machine's memory? The estimate counts the dataset as the engine holds
it (every image as float32, after resize) plus the network's training memory, and says so as a
warning in the editor and summary, and as a refusal in `train` — before anything is allocated.
Cheap: no torch, no data loaded."""
from __future__ import annotations

import os

from ..analysis import Analysis, Problem
from ..analysis.cost import human_bytes, training_memory
from ..data.registry import check_dataset_spec, shape_for

# images per dataset (train + test), for the ones whose size is known without reading them
IMAGES = {"mnist5k": 5000, "mnist": 70000, "fashion_mnist": 70000, "kmnist": 70000, "cifar10": 60000,
          "cifar100": 60000, "svhn": 99289}


def machine_memory() -> int | None:
    """Physical memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def dataset_images(spec: dict) -> int | None:
    id_ = spec.get("id")
    if id_ in ("shapes", "multi_shapes", "volumes", "signals"):  # generated: as many as asked for
        return spec.get("count", 6000 if id_ == "shapes" else 3000)
    n = IMAGES.get(id_)
    count = spec.get("count")
    return min(n, count) if n is not None and isinstance(count, int) else n


def dataset_bytes(spec) -> tuple[int, str] | None:
    """(bytes the dataset takes in memory, how that was counted) or None when unknown."""
    if not isinstance(spec, dict) or check_dataset_spec(spec) or not spec.get("id"):
        return None
    shape, n = shape_for(spec), dataset_images(spec)
    if not shape or not n:
        return None
    per = 4
    for d in shape:
        per *= d
    return n * per, f"{n:,} images of {'×'.join(map(str, shape))} as float32"


def estimate(a: Analysis, dataset: dict, training: dict) -> dict:
    """{"network": bytes to train at the project's batch size, "dataset": bytes or 0, "how": str,
    "total": bytes, "batch_size": int}."""
    batch = training.get("batch_size", 64) if isinstance(training, dict) else 64
    batch = batch if isinstance(batch, int) and not isinstance(batch, bool) and 1 <= batch <= 1 << 20 else 64
    net = training_memory(a, batch)["total"] if a.ok else 0
    data = dataset_bytes(dataset) or (0, "")
    return {"network": net, "dataset": data[0], "how": data[1], "total": net + data[0], "batch_size": batch}


def memory_problem(a: Analysis, dataset: dict, training: dict, available: int | None = None) -> Problem | None:
    """A warning when training would need more memory than this machine has, or None."""
    available = available or machine_memory()
    e = estimate(a, dataset, training)
    if not available or e["total"] <= available:
        return None
    parts = []
    if e["dataset"]:
        parts.append(f"the dataset: {e['how']}, {human_bytes(e['dataset'])}")
    if e["network"]:
        parts.append(f"the network at batch {e['batch_size']}: {human_bytes(e['network'])}")
    big_data = e["dataset"] >= e["network"]
    tip = ("a smaller resize or image size, or fewer images (count)" if big_data else
           "a smaller batch size, fewer channels or a smaller input")
    node = None if big_data else _biggest_block(a)
    return Problem("warning", f"Training needs about {human_bytes(e['total'])} of memory ("
                   + "; ".join(parts) + f") but this machine has {human_bytes(available)}. Use {tip}.",
                   node=node, code="memory")


def _biggest_block(a: Analysis) -> str | None:
    from ..blocks.spec import prod
    sized = [(prod(info.out.shape), nid) for nid, info in a.info.items() if info.out is not None]
    return max(sized)[1] if sized else None
