"""``relucid info``: layers, neurons and parameters of a network."""

from __future__ import annotations

from ._common import emit, load_network

__all__ = ["info", "register"]


def register(sub, common) -> None:
    """Add ``info`` to an argparse subparsers object."""
    s = sub.add_parser("info", parents=[common], help="layers, neurons, parameters of a network")
    s.add_argument("net", help="network file (.onnx, .nnet, .npz) or example:NAME")
    s.set_defaults(func=info)


def info(args) -> int:
    net = load_network(args.net)
    layers = [
        {
            "index": i,
            "in": layer.in_dim,
            "out": layer.out_dim,
            "activation": layer.activation,
            "alpha": layer.alpha,
            "name": layer.name,
        }
        for i, layer in enumerate(net.layers)
    ]
    payload = {
        "input_dim": net.input_dim,
        "output_dim": net.output_dim,
        "n_layers": len(net.layers),
        "n_piecewise_linear_neurons": net.n_pattern_neurons,
        "n_parameters": net.n_parameters,
        "piecewise_linear": net.is_piecewise_linear,
        "layers": layers,
    }
    emit(args, payload, net.summary())
    return 0
