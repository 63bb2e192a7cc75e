"""`evalapp audit verify`: check the audit log's chain from the server's console, with the
key from the instance folder or EVALAPP_AUDIT_KEY. Exit status 0 when the log is intact, 1
naming the first entry altered or missing."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from evalapp.audit.chain import audit_key
from evalapp.audit.verification import Break, Verdict, verify_chain

audit_group = AppGroup("audit", help="The audit log: verify its chain.")


def _explained(verdict: Verdict) -> str:
    at = verdict.sequence
    where = f"（记录编号 {verdict.entry_id}）" if verdict.entry_id is not None else ""
    where_en = f" (row id {verdict.entry_id})" if verdict.entry_id is not None else ""
    if verdict.broken is Break.ALTERED:
        return (f"第 {at} 条审计记录{where}被改动或伪造，与其校验码不符 / audit entry {at}"
                f"{where_en} was altered or forged: its MAC does not match")
    if verdict.broken is Break.MISSING:
        return (f"第 {at} 条审计记录缺失（被删除或日志尾部被截断）/ audit entry {at} is "
                "missing (deleted, or the log's tail was cut off)")
    return ("审计链头被改动或缺失，与日志不符 / the audit chain head was altered or lost: it does "
            "not match the log")


@audit_group.command("verify")
def verify_command() -> None:
    """Recompute every entry's MAC and check the numbering and the chain head."""
    verdict = verify_chain(audit_key())
    if verdict.intact:
        click.echo(f"审计日志完整：第 {verdict.first}–{verdict.last} 条，共 {verdict.kept} 条 / "
                   f"the audit log is intact: entries {verdict.first}–{verdict.last}, "
                   f"{verdict.kept} kept")
        return
    click.echo(f"✗ {_explained(verdict)}")
    raise SystemExit(1)
