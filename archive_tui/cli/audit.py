"""审计 and 备份: verifying and reading the audit trail, backup and restore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from archive_tui.bootstrap import open_engine
from archive_tui.core.config import load_config
from archive_tui.core.errors import ArchiveError
from archive_tui.cli.common import acting, app, engine_for, err, load, out, print_json


audit_app = typer.Typer(help="审计日志：校验、查看、重新设定锚点、审计密钥", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """校验审计日志的哈希链：被改动、删除或调换顺序的记录会被发现，指出第一条有问题的；
    核对锚点（数据库旁的锚点文件缺失、损坏或签名不符都算不通过）；
    并逐一核对已签文书（关闭、移交、接收、检测、共享、签发时保存的表单）与其 SHA-256。"""
    from archive_tui.services.admin.audit_log import verify_log

    config = load()
    check = verify_log(acting(engine_for(config), config))
    report, anchors, anchor, kept = check.chain, check.anchors, check.anchor, check.kept
    if as_json:
        print_json({**report.as_dict(), "ok": check.ok, "chain_ok": report.ok, "anchor": anchor.as_dict(),
                    "kept_forms": kept.as_dict()})
        if not check.ok:
            raise typer.Exit(1)
        return
    if report.ok and not anchor.ok:
        out.print(f"审计日志无法确认完整：{report.checked:,} 条记录的哈希链本身一致，但锚点有问题", markup=False)
    elif report.ok:
        out.print(f"审计日志完好：{report.checked:,} 条记录的哈希链一致"
                  + (f"，与 {len(anchors)} 个锚点（数据库旁、备份中）相符" if anchors else "")
                  + ("，锚点的密钥签名无误" if anchor.keyed and anchor.ok else ""), markup=False)
        if anchor.ok and anchor.behind:
            out.print(f"  数据库旁的锚点停在第 {anchor.anchor['id']} 条，其后 {anchor.behind:,} 条只由哈希链保护"
                      "（其他电脑写入的，或写入时读不到密钥）", markup=False)
    else:
        bad = report.first_bad
        where = (f"第一处在第 {bad['id']} 条（{bad['at']} {bad['operator']} {bad['action']} {bad['key']}）："
                 if "action" in bad else "")
        out.print(f"审计日志有问题：{where}{bad['problem']}", markup=False)
        for problem in report.problems[1:20]:
            out.print(f"  {problem}", markup=False)
    for problem in anchor.problems:
        out.print(f"审计锚点有问题：{problem}", markup=False)
    if kept.ok:
        out.print(f"已签文书完好：{kept.checked:,} 个文件与其 SHA-256 及审计日志中的记录一致", markup=False)
    else:
        out.print(f"已签文书有问题：{len(kept.problems)} 处", markup=False)
        for problem in kept.problems[:50]:
            out.print(f"  {problem}", markup=False)
    if not check.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor(
    reason: Annotated[str, typer.Option("--reason", help="为什么重新设定（如：迁移时未带上锚点文件，已与备份核对）")],
) -> None:
    """重新设定锚点（管理员）：锚点文件缺失、损坏或密钥遗失，查明原因、确认审计日志无误后，
    以现在的审计日志为准重新记下锚点（有审计密钥时带签名）。此操作连同理由记入审计日志。"""
    from archive_tui.services.admin.audit_log import reanchor

    config = load()
    made = reanchor(acting(engine_for(config), config), reason)
    out.print(f"已重新设定锚点：第 {made['id']} 条（哈希 {made['hash'][:16]}）"
              + ("，带密钥签名" if made["keyed"] else "") + f"，保存在 {made['path']}；此操作已记入审计日志",
              markup=False)
    if not made["chain_ok"]:
        err.print(f"注意：审计日志的哈希链本身有问题（{made['first_bad']['problem']}），重新设定锚点不能消除它，"
                  "audit verify 仍会指出", markup=False)


key_app = typer.Typer(help="审计密钥：给锚点签名（密钥放在档案文件夹之外）", no_args_is_help=True)
audit_app.add_typer(key_app, name="key")


@key_app.command("new")
def audit_key_new() -> None:
    """生成审计密钥（管理员）：写到 config.toml 的 [audit] key_file（留空则为用户配置文件夹），
    只有本人可读，不覆盖已有的密钥；随即用它给锚点签名（记入审计日志）。此后哈希链被重新计算、
    锚点被改写，audit verify 都能发现。请另外备份密钥：丢失后旧的签名无法核对。"""
    from archive_tui.services.admin.audit_log import new_key

    config = load()
    made = new_key(acting(engine_for(config), config))
    out.print(f"已生成审计密钥 {made['key_file']}（编号 {made['key_id']}，只有本人可读），"
              f"锚点已签名（第 {made['id']} 条）；请把密钥另外备份到安全的地方", markup=False)


@audit_app.command("log")
def audit_log(
    entity: Annotated[Optional[str], typer.Option("--entity", help="对象：承包方编码、档号、证书编号等")] = None,
    limit: Annotated[int, typer.Option("--limit", help="最多列出几条（最新的）", min=1)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出审计日志（谁、何时、做了什么、改动前后）。"""
    from archive_tui.audit.wording import action_label, change_text
    from archive_tui.services.admin.audit_log import read_log

    config = load()
    rows = read_log(acting(engine_for(config), config), entity_key=entity, limit=limit)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']:>6}  {row['at'][:19].replace('T', ' ')}  {row['operator']}  "
                  f"{action_label(row['action'])}  {row['key']}  {change_text(row['before'], row['after'], 80)}",
                  markup=False)
    out.print(f"共 {len(rows)} 条")


@app.command("backup")
def backup_command(
    dest: Annotated[Path, typer.Argument(help="备份文件夹（新的或空的）；已有备份时配合 --verify 校验它")],
    verify: Annotated[bool, typer.Option("--verify", help="校验备份（写完后校验；DEST 已是备份时只校验）")] = False,
    with_store: Annotated[bool, typer.Option("--with-store", help="连同存储库中的扫描件一起备份")] = False,
) -> None:
    """备份：配置、数据库（程序运行时也可以）、扫描件清单及校验值（--with-store 连同扫描件），
    以及审计日志的锚点（有审计密钥时带签名）；--verify 时还核对备份中的审计日志与其锚点。"""
    from archive_tui.services.admin.backup import MANIFEST, backup, backup_key, verify_backup

    if verify and (dest / MANIFEST).is_file():
        report = verify_backup(dest, backup_key(_config_if_any()))
    else:
        config = load()
        report = backup(acting(engine_for(config), config), dest, with_store=with_store)
        out.print(f"已备份到 {dest}" + (f"（含扫描件 {report.store_files} 个）" if with_store else ""))
        if verify and report.ok:
            report = verify_backup(dest, backup_key(config))
    for note in report.notes:
        err.print(f"注意：{note}", markup=False)
    for problem in report.problems[:50]:
        err.print(f"  {problem}", markup=False)
    if verify:
        out.print("备份校验通过" if report.ok else f"备份校验未通过：{len(report.problems)} 处问题")
    if not report.ok:
        raise typer.Exit(1)


def _config_if_any():
    """This archive's configuration, when there is one here (for its 审计密钥); else None."""
    try:
        return load()
    except ArchiveError:
        return None


@app.command("restore")
def restore_command(
    src: Annotated[Path, typer.Argument(help="备份文件夹")],
    target: Annotated[Path, typer.Option("--into", help="恢复到哪个文件夹（默认当前文件夹，须为空）")] = Path("."),
) -> None:
    """在一个空文件夹中从备份恢复出可用的档案（不覆盖任何东西）。"""
    from archive_tui.services.admin.backup import backup_key, restore

    report = restore(src, target, backup_key(_config_if_any()))
    for note in report.notes:
        out.print(f"注意：{note}", markup=False)
    config = load_config(target / "config.toml")
    open_engine(config).dispose()  # opens (and upgrades, if the backup is older), the anchor kept
    out.print(f"已从 {src} 恢复到 {target.resolve()}" + (f"，含扫描件 {report.store_files} 个" if report.store_files
                                                         else "（备份中没有扫描件，只有清单）"))
