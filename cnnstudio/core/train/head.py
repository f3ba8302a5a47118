"""The network's head against the dataset: torch-free, so the window can check it live."""
from __future__ import annotations

from dataclasses import dataclass

FUSABLE = {"softmax": "Softmax", "sigmoid": "Sigmoid"}


@dataclass
class Head:
    node: str  # the graph's output node
    out_shape: tuple
    activation: str  # "softmax", "sigmoid", "none", or another activation name
    standalone: bool  # a Softmax/Sigmoid block rather than Linear(activation=...)
    layer: str  # the node that holds the weights (the Linear before a standalone activation)


def find_head(graph, analysis) -> Head | None:
    out = analysis.output
    if out is None or analysis.info[out].out is None:
        return None
    node = graph.nodes[out]
    shape = tuple(analysis.info[out].shape)
    if node.type in ("Softmax", "Sigmoid"):
        src = graph.inputs_of(out)
        return Head(out, shape, node.type.lower(), True, src[0] if src else out)
    return Head(out, shape, node.params.get("activation", "none") if node.spec.activation_param else "none",
                False, out)


def head_problem(head: Head | None, n_classes: int, task: str, classes=()) -> tuple[str | None, dict | None]:
    """(message, fix) when the head cannot be trained on this dataset; fix is
    {"node", "params"} for a one-click change of the head."""
    if head is None:
        return "The network has no usable output yet: fix the errors on the canvas first.", None
    if len(head.out_shape) != 1:
        return (f"The output {head.node} is image-shaped {list(head.out_shape)}; a classifier ends with "
                "Flatten and a Linear head.", None)
    k = head.out_shape[0]
    if task == "multilabel":
        if k != n_classes:
            return (f"The head {head.layer} gives {k} outputs, but the dataset has {n_classes} labels: set its "
                    f"out_features to {n_classes} (one yes/no score per label).",
                    {"node": head.layer, "params": {"out_features": n_classes}})
        if head.activation == "softmax":
            return (f"The head {head.layer} ends with softmax, which makes the classes compete for one share of "
                    "probability: softmax will not work when an image can show several of them. Use a sigmoid "
                    "per class.", {"node": head.layer, "params": {"activation": "sigmoid"}})
        if head.activation not in ("none", "sigmoid"):
            return (f"The head {head.layer} ends with {head.activation}; a multi-label head needs a sigmoid "
                    "per class (or no activation).", {"node": head.layer, "params": {"activation": "sigmoid"}})
        return None, None
    if task == "box":
        if k != 4:
            return (f"The head {head.layer} gives {k} outputs, but a box is 4 numbers (centre x, centre y, width, height): "
                    f"set its out_features to 4.", {"node": head.layer, "params": {"out_features": 4}})
        return None, None
    if k == 1 and n_classes == 2:
        return None, None
    if k != n_classes:
        names = ", ".join(map(str, classes[:6])) + (", …" if len(classes) > 6 else "")
        return (f"The head {head.layer} gives {k} outputs, but the dataset has {n_classes} classes ({names}): "
                f"set its out_features to {n_classes}.", {"node": head.layer, "params": {"out_features": n_classes}})
    if head.activation not in ("none", "softmax", "sigmoid"):
        return (f"The head {head.layer} ends with {head.activation}; a classifier's last layer needs no "
                "activation (or softmax): set its activation to none.", {"node": head.layer, "params": {"activation": "none"}})
    return None, None


def resolve_task(dataset_task: str, head: Head, n_classes: int) -> str:
    if dataset_task in ("box", "multilabel"):
        return dataset_task
    if head.out_shape == (1,) and n_classes == 2:
        return "binary"
    return "classify"


def input_problem(graph, have: list, dataset_name: str) -> tuple[str | None, dict | None]:
    """(message, fix) when the Input block's shape is not the dataset's image shape `have`."""
    node = next((n for n in graph.nodes.values() if n.type == "Input"), None)  # asked on every edit
    if node is None or list(node.params["shape"]) == list(have):
        return None, None
    want, have = list(node.params["shape"]), list(have)
    tips = [f"set {node.id}'s shape to {have}"]
    if want[0] == have[0]:
        tips.append(f'or resize the images with "resize": {want[1:]} in the dataset settings')
    elif want[0] in (1, 3):
        tips.append(f'or convert the images with "channels": {want[0]}' +
                    (f' and "resize": {want[1:]}' if want[1:] != have[1:] else ""))
    return (f"The Input block {node.id} expects {want} but {dataset_name} images are {have}: "
            + " ".join(tips) + ".", {"node": node.id, "params": {"shape": have}})
