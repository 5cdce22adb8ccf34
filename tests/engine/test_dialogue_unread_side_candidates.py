"""A weak candidate on a side whose lung field was not outlined is not offered for checking.

The read already says that side was not assessed. A candidate under the threshold there
has its place ("left upper zone, behind the heart") from the outline that is missing; on
a child's AP film a skin electrode was offered that way. A candidate on the outlined side
is still offered.
"""

from __future__ import annotations

import re
from dataclasses import replace

import cv2
import numpy as np

from engine.dialogue import Conversation
from engine.findings import Candidate

from .conftest import analyse, make_phantom

LEFT_EN = re.compile(r"left (?:upper|middle|lower) zone")
LEFT_ZH = re.compile(r"左[上中下]肺野")


def _film(left_outlined: bool):
    film = make_phantom()
    if not left_outlined:
        fragment = np.zeros_like(film.left_lung)
        cv2.ellipse(fragment, (800, 300), (40, 60), 0, 0, 360, 1, -1)
        film = replace(film, left_lung=fragment.astype(bool))
    # the phantom detector reports from 0.5; both candidates lie under it, within half
    return analyse(
        film,
        [Candidate((300, 560), 20, 0.35), Candidate((800, 300), 12, 0.3)],
        key=f"unread-candidates-{left_outlined}",
    )


def test_only_the_outlined_sides_candidates_are_offered():
    unread, read = _film(left_outlined=False), _film(left_outlined=True)
    for film, left_offered in ((unread, False), (read, True)):
        chat = Conversation(film)
        chat.ask("Is there anything abnormal in the lungs?")
        listed = chat.ask("what is under the threshold?").answer_text
        assert "right middle zone" in listed, listed
        assert bool(LEFT_EN.search(listed)) is left_offered, listed
    zh = Conversation(unread)
    zh.ask("肺部是否有异常?")
    assert not LEFT_ZH.search(zh.ask("低于阈值的有哪些").answer_text)
