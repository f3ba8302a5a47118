"""Totals, the training-memory estimate and the human-readable forms of both."""
from pathlib import Path

from cnnstudio.core import analyze, load_project
from cnnstudio.core.analysis.cost import human_bytes, human_duration, totals, training_memory

LENET = Path(__file__).parents[2] / "sample_projects" / "lenet5.cnnproj"


def test_training_memory_adds_up_weights_gradients_optimizer_and_activations():
    a = analyze(load_project(LENET).graph)
    t = totals(a)
    assert t["total_params"] == 61706 and t["buffers"] == 0 and t["activation_elements"] == 9278
    m = training_memory(a, batch_size=32, precision="fp32", optimizer="adam")
    assert m["weights"] == m["gradients"] == 4 * 61706
    assert m["optimizer"] == 2 * 4 * 61706  # Adam keeps two fp32 values per weight
    assert m["activations"] == 4 * 9278 * 32
    assert m["total"] == m["weights"] + m["gradients"] + m["optimizer"] + m["activations"]
    half = training_memory(a, batch_size=32, precision="bf16", optimizer="sgd")
    assert half["activations"] == m["activations"] // 2 and half["optimizer"] == 0


def test_human_forms():
    assert human_bytes(512) == "512 B" and human_bytes(3 * 1024 ** 2) == "3.0 MiB"
    assert (human_duration(59), human_duration(75 * 60), human_duration(3725)) == ("0:59", "1:15:00", "1:02:05")
