"""Datasets: a registry (cheap to import) and loaders that produce in-memory splits.

`load_dataset(spec)` → `Dataset` with `.classes`, `.shape`, `.task`, `.train/.val/.test`
(`.images` float N×C×H×W normalised, `.labels`) and `.to_display(images)`. Torch is imported
only when a dataset is loaded.
"""
from .registry import DATASETS, DatasetInfo, check_dataset_spec, classes_for, data_root, load_dataset, shape_for




def __getattr__(name):  # DatasetError/Dataset live with torch code; import on use
    if name in ("DatasetError", "Dataset", "Split", "build_dataset"):
        from . import base
        return getattr(base, name)
    raise AttributeError(name)


__all__ = ["DATASETS", "DatasetInfo", "check_dataset_spec", "classes_for", "data_root", "load_dataset", "shape_for",
           "DatasetError", "Dataset", "Split"]
