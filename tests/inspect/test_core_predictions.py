"""Predictions, confusion matrix, Grad-CAM and nearest neighbours on hand-built models."""
import numpy as np
import torch

from cnnstudio.core import Graph
from cnnstudio.core.build.compiler import compile_graph
from cnnstudio.core.inspect.confusion import cell_samples, confusion_matrix, most_confused, precision_recall
from cnnstudio.core.inspect.gradcam import grad_cam
from cnnstudio.core.inspect.neighbours import embed, hidden_node, nearest
from cnnstudio.core.inspect.predictions import Predictions, box_iou, predict, select, to_probs, top_k


def bar_detector():
    """conv channel 0 sees vertical bars, channel 1 horizontal ones; class 0 reads only
    channel 0 in the top-left quadrant, class 1 only channel 1 in the bottom-right."""
    g = Graph()
    i = g.add("Input", shape=[1, 16, 16], id="in")
    c = g.add("Conv2d", i, id="conv", out_channels=2, kernel_size=3, padding=1, bias=False, activation="relu")
    f = g.add("Flatten", c, id="flat")
    g.add("Linear", f, id="fc", out_features=2, bias=False)
    net = compile_graph(g)
    w = torch.zeros(2, 1, 3, 3)
    w[0, 0, :, 1] = 1.0  # vertical line
    w[0, 0, :, 0] = w[0, 0, :, 2] = -0.5
    w[1, 0, 1, :] = 1.0  # horizontal line
    w[1, 0, 0, :] = w[1, 0, 2, :] = -0.5
    net.get_submodule(net.node_names["conv"]).weight.data = w
    lin = torch.zeros(2, 2, 16, 16)
    lin[0, 0, :8, :8] = 1.0
    lin[1, 1, 8:, 8:] = 1.0
    net.get_submodule(net.node_names["fc"]).weight.data = lin.reshape(2, -1)
    return g, net


def test_grad_cam_lights_the_corner_the_model_looks_at():
    g, net = bar_detector()
    img = np.zeros((1, 16, 16), np.float32)
    img[0, 1:7, 3] = 1.0  # a vertical bar in the top-left corner
    img[0, 12, 9:15] = 1.0  # a horizontal bar in the bottom-right corner
    heat, node, cls = grad_cam(net, img, target=0)
    assert node == "conv" and cls == 0 and heat.shape == (16, 16)
    assert heat[:8, :8].mean() > 5 * heat[8:, 8:].mean()
    assert heat[:8, :8].max() == 1.0
    heat1, _, _ = grad_cam(net, img, target=1)
    assert heat1[8:, 8:].mean() > 5 * heat1[:8, :8].mean()
    _, _, predicted = grad_cam(net, img)  # default target: the predicted class
    out = net(torch.from_numpy(img)[None])[0]
    assert predicted == int(out.argmax())


def test_grad_cam_without_a_spatial_layer_says_so():
    g = Graph()
    f = g.add("Flatten", g.add("Input", shape=[1, 4, 4]))
    g.add("Linear", f, out_features=2)
    try:
        grad_cam(compile_graph(g), np.zeros((1, 4, 4), np.float32))
    except ValueError as e:
        assert "spatial" in str(e)
    else:
        raise AssertionError("expected a ValueError")


def test_predict_gives_softmax_probabilities_and_top_k():
    g, net = bar_detector()
    imgs = np.zeros((3, 1, 16, 16), np.float32)
    imgs[0, 0, 1:7, 3] = 1  # vertical in top-left → class 0
    imgs[1, 0, 12, 9:15] = 1  # horizontal bottom-right → class 1
    imgs[2, 0, 12, 9:15] = 1
    p = predict(net, imgs, [0, 1, 0])
    assert p.pred.tolist() == [0, 1, 1]
    np.testing.assert_allclose(p.probs.sum(1), 1, rtol=1e-6)
    assert p.correct.tolist() == [True, True, False] and abs(p.accuracy - 2 / 3) < 1e-9
    assert [c for c, _ in top_k(p.probs[1], 2)] == [1, 0]
    assert select(p, mistakes=True).tolist() == [2]
    assert select(p, cls=0).tolist() == sorted([0, 2], key=lambda i: -p.conf[i])


def test_binary_output_and_softmax_output():
    probs = to_probs(np.array([[0.0], [2.0]]))
    np.testing.assert_allclose(probs[1], [1 - 1 / (1 + np.exp(-2)), 1 / (1 + np.exp(-2))])
    np.testing.assert_allclose(to_probs(np.array([[0.8], [0.1]]), "sigmoid"), [[0.2, 0.8], [0.9, 0.1]])


def test_gallery_sorts_by_confidence():
    p = Predictions(np.array([0, 0, 1, 1]), None, np.array([0, 1, 1, 0]), np.array([0.6, 0.9, 0.7, 0.99]))
    assert select(p, sort="confidence").tolist() == [3, 1, 2, 0]
    assert select(p, sort="uncertain").tolist() == [0, 2, 1, 3]
    assert select(p, mistakes=True, sort="confidence").tolist() == [3, 1]


def test_confusion_matrix_precision_recall_and_cells():
    labels = np.array([0, 0, 0, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 1, 0])
    conf = np.array([0.9, 0.5, 0.8, 0.7, 0.6, 0.4])
    cm = confusion_matrix(labels, pred, 3)
    assert cm.tolist() == [[1, 2, 0], [0, 2, 0], [1, 0, 0]]
    prec, rec = precision_recall(cm)
    np.testing.assert_allclose(prec[:2], [1 / 2, 2 / 4])
    assert np.isnan(prec[2])  # class 2 never predicted
    np.testing.assert_allclose(rec, [1 / 3, 1, 0])
    assert cell_samples(labels, pred, conf, 0, 1).tolist() == [2, 1]
    assert most_confused(cm, 2) == [(0, 1, 2), (2, 0, 1)]


def test_box_iou():
    a = np.array([[0.25, 0.25, 0.5, 0.5], [0.5, 0.5, 1, 1]])  # centre x, centre y, width, height
    b = np.array([[0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 1, 1]])
    np.testing.assert_allclose(box_iou(a, b), [0.0625 / (0.25 + 0.25 - 0.0625), 1.0])


def test_nearest_neighbours_in_the_last_hidden_layer():
    g, net = bar_detector()
    assert hidden_node(net, g) == "flat"
    imgs = np.zeros((4, 1, 16, 16), np.float32)
    imgs[0, 0, 1:7, 3] = imgs[1, 0, 2:8, 3] = 1  # two vertical bars, one a pixel lower
    imgs[2, 0, 12, 9:15] = imgs[3, 0, 12, 8:14] = 1  # two horizontal bars
    feats = embed(net, imgs, "flat")
    assert feats.shape == (4, 2 * 16 * 16)
    idx, sim = nearest(feats, feats[0], k=2, exclude=0)
    assert idx[0] == 1 and sim[0] > sim[1]
    idx, _ = nearest(feats, feats[2], k=1, exclude=2)
    assert idx.tolist() == [3]


def test_grad_cam_of_a_binary_classifier_explains_either_class():
    """One sigmoid output: vertical bars (top-left) argue for class 1, horizontal bars
    (bottom-right) for class 0. A saturated sigmoid must not blind it."""
    g, net = bar_detector()
    g2 = Graph()
    c = g2.add("Conv2d", g2.add("Input", shape=[1, 16, 16], id="in"), id="conv", out_channels=2, kernel_size=3,
               padding=1, bias=False, activation="relu")
    g2.add("Linear", g2.add("Flatten", c, id="flat"), id="fc", out_features=1, bias=False, activation="sigmoid")
    net2 = compile_graph(g2)
    net2.get_submodule("conv").weight.data = net.get_submodule("conv").weight.data
    lin = torch.zeros(1, 2, 16, 16)
    lin[0, 0, :8, :8] = 50.0  # large: the sigmoid saturates at 1.0
    lin[0, 1, 8:, 8:] = -1.0
    net2.get_submodule("fc").weight.data = lin.reshape(1, -1)
    img = np.zeros((1, 16, 16), np.float32)
    img[0, 1:7, 3] = 1.0
    img[0, 12, 9:15] = 1.0
    assert net2(torch.from_numpy(img)[None]).item() == 1.0  # saturated
    heat1, _, cls = grad_cam(net2, img, activation="sigmoid")
    assert cls == 1 and heat1[:8, :8].mean() > 5 * heat1[8:, 8:].mean()
    heat0, _, _ = grad_cam(net2, img, target=0, activation="sigmoid")
    assert heat0[8:, 8:].mean() > 5 * heat0[:8, :8].mean()
