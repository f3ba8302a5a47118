"""torchvision's classification models: which import, how to build them, their published weights."""
from __future__ import annotations

import functools

from .errors import InteropError

TRANSFORMERS = ("vit_", "swin_", "maxvit")
# training-only auxiliary classifiers are left out (torchvision drops them too once weights load);
# transform_input is off so the imported network is exactly the layers on the canvas
BUILD_OPTIONS = {"googlenet": {"aux_logits": False, "transform_input": False},
                 "inception_v3": {"aux_logits": False, "transform_input": False}}


def all_names() -> list[str]:
    import torchvision
    return torchvision.models.list_models(module=torchvision.models)


def model_names() -> list[str]:
    """Every convolutional classification model torchvision has."""
    return [n for n in all_names() if not n.startswith(TRANSFORMERS)]


def check_name(name: str) -> None:
    if name.startswith(TRANSFORMERS):
        raise InteropError(f"torchvision:{name} is a vision transformer: its attention layers have no CNN Studio "
                           "blocks, so it cannot be imported. Pick a convolutional model (e.g. torchvision:convnext_tiny).")
    names = all_names()
    if name not in names:
        import difflib
        close = difflib.get_close_matches(name, model_names(), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise InteropError(f"torchvision has no classification model {name!r}.{hint} "
                           "`cnnstudio import --list` shows them all.")


def info(name: str) -> dict:
    """{"params", "input_size", "weights", "accuracy"} from torchvision's weight metadata (no
    download). "params" is what an import gives: the metadata's count, except where the import
    builds the model otherwise (Inception-v3's metadata counts the auxiliary classifier)."""
    from torchvision.models import get_model_weights
    w = get_model_weights(name).DEFAULT
    crop = w.transforms.keywords.get("crop_size", 224)
    params = _built_params(name) if name in BUILD_OPTIONS else w.meta["num_params"]
    return {"params": params, "input_size": crop, "weights": str(w).split(".", 1)[-1],
            "accuracy": w.meta.get("_metrics", {}).get("ImageNet-1K", {}).get("acc@1")}


@functools.lru_cache(maxsize=None)
def _built_params(name: str) -> int:
    """Parameters of build(name), its tensors made on the meta device (no memory, no init)."""
    import warnings

    import torch
    from torch.nn.modules import module as m
    hooks = [m.register_module_parameter_registration_hook(
                 lambda mod, n, p: None if p is None else torch.nn.Parameter(p.to("meta"), p.requires_grad)),
             m.register_module_buffer_registration_hook(lambda mod, n, b: None if b is None else b.to("meta"))]
    try:
        with warnings.catch_warnings():  # torchvision's notice about its initialisation, not the user's concern
            warnings.simplefilter("ignore")
            model = build(name)
    finally:
        for h in hooks:
            h.remove()
    return sum(p.numel() for p in model.parameters())


class OfflineError(InteropError):
    """The published weights cannot be fetched; `say(how)` tells what to do, `how` naming the way
    to give a weights file where the user is (a flag, or the window's controls)."""

    def __init__(self, name: str, url: str, reason):
        self.name, self.url, self.reason = name, url, reason
        super().__init__(self.say("import with --weights FILE"))

    def say(self, how: str) -> str:
        return (f"Cannot fetch torchvision's published weights for {self.name} ({self.url}): {self.reason}. "
                "This machine seems offline. Download that file elsewhere and either put it in torch's cache "
                f"folder ($TORCH_HOME/hub/checkpoints, default ~/.cache/torch/hub/checkpoints) or {how}.")


def build(name: str, pretrained: bool = False, progress: bool = True):
    """The torchvision model, with its published weights when `pretrained` (downloaded once
    into torch's cache, TORCH_HOME). Offline without a cached copy: an InteropError."""
    import torchvision
    check_name(name)
    options = dict(BUILD_OPTIONS.get(name, {}))
    if not pretrained:
        return torchvision.models.get_model(name, weights=None, **options)
    weights = torchvision.models.get_model_weights(name).DEFAULT
    try:
        return torchvision.models.get_model(name, weights=weights, progress=progress, **options)
    except (OSError, RuntimeError) as e:  # URLError is an OSError
        raise OfflineError(name, weights.url, getattr(e, "reason", None) or e) from None
