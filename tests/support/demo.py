"""What `evalapp demo` prints, as tests read it."""

from __future__ import annotations

import re

PASSWORD = re.compile(r"organiser\s+密码 / password: (\S+)")
