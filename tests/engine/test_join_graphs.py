"""Joining classifier graphs: the output is the member-weighted mean of their logits.

The shipped classifier may keep an exported graph of two networks and add a third
network exported alone (``train_nodules join``). The CV averages the three members'
logits equally, so the joined graph must weight the two-network graph's logit by 2 and
the single network's by 1 before the one Sigmoid; these tiny graphs check that.
"""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from engine.training.train_nodules import graph_logit, join_graphs  # noqa: E402


def _classifier(seed: int) -> tuple[object, np.ndarray, np.ndarray]:
    """A tiny graph with the shipped inputs: sigmoid(flat(patches) @ w + features @ v).

    Both graphs use the same internal names, so the join must keep them apart.
    """
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.2, (2 * 32 * 32, 1)).astype(np.float32)
    v = rng.normal(0, 1.5, (8, 1)).astype(np.float32)
    nodes = [
        helper.make_node("Flatten", ["patches"], ["flat"], axis=1, name="flatten"),
        helper.make_node("MatMul", ["flat", "w"], ["from_patches"], name="mm1"),
        helper.make_node("MatMul", ["features", "v"], ["from_features"], name="mm2"),
        helper.make_node("Add", ["from_patches", "from_features"], ["sum"], name="add"),
        helper.make_node("Squeeze", ["sum", "axis"], ["logit"], name="squeeze"),
        helper.make_node("Sigmoid", ["logit"], ["probability"], name="sigmoid"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [
            helper.make_tensor_value_info(
                "patches", TensorProto.FLOAT, ["candidates", 2, 32, 32]
            ),
            helper.make_tensor_value_info(
                "features", TensorProto.FLOAT, ["candidates", 8]
            ),
        ],
        [
            helper.make_tensor_value_info(
                "probability", TensorProto.FLOAT, ["candidates"]
            )
        ],
        initializer=[
            numpy_helper.from_array(w, "w"),
            numpy_helper.from_array(v, "v"),
            numpy_helper.from_array(np.array([1], np.int64), "axis"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 10
    return model, w, v


def _run(model, patches, features) -> np.ndarray:
    session = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    (out,) = session.run(None, {"patches": patches, "features": features})
    return out


def test_the_joined_graph_outputs_the_member_weighted_mean_logit():
    (a, wa, va), (b, wb, vb) = _classifier(1), _classifier(2)
    rng = np.random.default_rng(3)
    patches = rng.normal(0, 1, (40, 2, 32, 32)).astype(np.float32)
    features = rng.normal(0, 1, (40, 8)).astype(np.float32)
    flat = patches.reshape(40, -1).astype(np.float64)
    logit_a = (flat @ wa + features @ va)[:, 0]
    logit_b = (flat @ wb + features @ vb)[:, 0]

    joined = join_graphs([(a, 2), (b, 1)])
    got = _run(joined, patches, features)

    expected = 1 / (1 + np.exp(-(2 * logit_a + logit_b) / 3))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # Not a trivial agreement: the logits are confident and disagree, so the unweighted
    # mean logit and the weighted mean probability are both far from the output.
    p_a, p_b = 1 / (1 + np.exp(-logit_a)), 1 / (1 + np.exp(-logit_b))
    assert np.abs(got - 1 / (1 + np.exp(-(logit_a + logit_b) / 2))).max() > 0.05
    assert np.abs(got - (2 * p_a + p_b) / 3).max() > 0.05
    # The members' own graphs are untouched and still give their probabilities.
    np.testing.assert_allclose(_run(a, patches, features), p_a, atol=1e-5)


def test_a_graph_without_a_final_sigmoid_is_refused():
    model, _, _ = _classifier(1)
    assert graph_logit(model) == "logit"
    model.graph.node[-1].op_type = "Relu"
    with pytest.raises(ValueError, match="Sigmoid"):
        graph_logit(model)
    with pytest.raises(ValueError, match="Sigmoid"):
        join_graphs([(model, 2), (_classifier(2)[0], 1)])


def test_graphs_with_other_inputs_are_refused():
    a, _, _ = _classifier(1)
    b, _, _ = _classifier(2)
    b.graph.input[1].name = "other_features"
    with pytest.raises(ValueError, match="other inputs"):
        join_graphs([(a, 2), (b, 1)])
