"""``relucid regions --json``: each face's class is the network's class inside it (the bias was missing)."""

import json

import numpy as np

from relucid.cli import main
from relucid.examples import load_example_network


def test_class_at_centre_is_the_networks_class(capsys):
    assert main(["regions", "example:moons", "--domain", "-3 <= x0 <= 3, -3 <= x1 <= 3", "--json"]) == 0
    faces = json.loads(capsys.readouterr().out)["regions"]
    net = load_example_network("moons")
    assert len(faces) > 100
    for face in faces:
        V = np.array(face["vertices"])
        centre = V.mean(axis=0)  # inside: the faces are convex polygons
        assert int(net(centre).argmax()) == face["class_at_centre"]
