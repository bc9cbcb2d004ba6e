"""The one deadline helper: validation of timeouts and the Deadline value."""

import math
import time

import pytest

from relucid.deadline import Deadline, check_timeout
from relucid.errors import InvalidValueError


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, False, "3", [1]])
def test_check_timeout_refuses(bad):
    with pytest.raises(InvalidValueError, match="who: timeout must be a positive, finite number"):
        check_timeout(bad, who="who")


@pytest.mark.parametrize("good", [1, 0.25, 3.0])
def test_check_timeout_accepts(good):
    assert check_timeout(good, who="x") == float(good)
    assert check_timeout(None, who="x") is None


def test_no_limit():
    d = Deadline.after(None)
    assert not d.limited and not d.expired()
    assert d.remaining() == math.inf and d.seconds() is None
    assert d.share(0.5).at == math.inf
    assert d.share(0.5, cap=2.0).remaining() <= 2.0


def test_expires():
    d = Deadline.after(0.05)
    assert d.limited and not d.expired() and 0 < d.seconds() <= 0.05
    time.sleep(0.06)
    assert d.expired() and d.remaining() <= 0 and d.seconds(floor=0.01) == 0.01


def test_share_and_sooner():
    d = Deadline.after(10.0)
    s = d.share(0.25)
    assert s.at < d.at and 2.0 < s.remaining() <= 2.5
    assert d.share(1.0, cap=1.0).remaining() <= 1.0
    assert d.sooner(None) is d
    assert d.sooner(s).at == s.at and s.sooner(d).at == s.at
    assert d.sooner(time.monotonic()).expired()


def test_after_validates_when_asked():
    with pytest.raises(InvalidValueError, match="f: timeout"):
        Deadline.after(-2, who="f")

