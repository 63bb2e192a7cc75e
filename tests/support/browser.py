"""What the browser tests need beside Playwright: Debian's Chromium and a Chinese font."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# A phone of today as a browser context's settings (Playwright's new_context arguments).
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def fontconfig_with_chinese(folder: Path) -> Path:
    """A fontconfig file that adds the Noto Sans CJK font the app already installs (for its
    PDFs) to the system's fonts. A phone has Chinese fonts; a bare CI machine may not, and its
    screenshots would show boxes where the page is fine."""
    from noto_cjk_sans_otc import FONT_PATH

    config = folder / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<dir>{Path(str(FONT_PATH)).parent}</dir>"
        f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>"
    )
    return config


def log_in(page, base: str, username: str, password: str) -> None:
    """Log in through the log-in page of the app served at `base`, as a person does (the
    Chinese labels: a page of a zh-CN context)."""
    page.goto(base + "/auth/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
