"""What, in an author block, names an institution rather than a person. One list for the
HTML and the PDF readers."""

from __future__ import annotations

import re

AFFILIATION = re.compile(
    r"@|https?:|\{|univ|institut|college|school|lab\b|labs\b|laborator|academy|department|"
    r"dept\.|center|centre|inc\.|corp|company|ltd|gmbh|foundation|hospital|research|google|"
    r"microsoft|meta\b|nvidia|openai|deepmind|amazon|alibaba|tencent|bytedance|huawei|"
    r"equal contribution|correspond|work done|\bUSA\b|\bChina\b|\bai$",
    re.I,
)
