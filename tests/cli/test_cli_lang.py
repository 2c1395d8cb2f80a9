"""The CLI in Chinese: `--lang zh_CN`, RIGHTS_LEDGER_LANG or LANG; help of every command group,
click's own words and the messages of `verify` come from the zh_CN catalogue."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.cli import cli

CJK = re.compile(r"[\u4e00-\u9fff]")
REPO = Path(__file__).resolve().parents[2]
GROUPS = {  # group: a phrase of its Chinese help
    None: "版权账本：在许可制区块链上进行作品登记、确权、许可和审计。",
    "work": "作品登记及权属管理。",
    "licence": "授予、要约、接受、撤销和检查许可。",
    "verify": "计算 FILE 的哈希并查询其作品登记，或检查登记证书。",
    "node": "启动、停止和查看内嵌链节点。",
    "account": "本地账户（加密密钥库）及其角色。",
    "usage": "报告作品的使用：单条记录或使用报告文件（CSV / JSON lines）。",
    "royalty": "向著作权集体管理组织的资金池付款、分配某期间、校验分配、领取。",
}


@pytest.fixture(autouse=True)
def _english_afterwards(monkeypatch):
    for var in ("RIGHTS_LEDGER_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    yield
    CliRunner().invoke(cli, ["--lang", "en", "--help"])  # leave the process in English for other tests


def _help(*args: str, env: dict[str, str] | None = None) -> str:
    r = CliRunner().invoke(cli, [*args, "--help"], env=env)
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("group", list(GROUPS))
def test_lang_zh_cn_help_of_each_group_is_chinese(group):
    out = _help("--lang", "zh_CN", *([group] if group else []))
    assert GROUPS[group] in " ".join(out.split()).replace(" ", "") or GROUPS[group] in out, out
    assert "用法:" in out and "显示此帮助信息并退出。" in out
    first_option_help = [line for line in out.splitlines() if line.strip().startswith("--")]
    assert all(CJK.search(line) for line in first_option_help if "  " in line.strip()), out


@pytest.mark.parametrize("group", list(GROUPS))
def test_english_help_stays_english(group):
    out = _help("--lang", "en", *([group] if group else []))
    assert "Usage:" in out and "Show this message and exit." in out
    assert not CJK.search(out), out


def test_language_from_the_environment():
    assert "作品登记及权属管理。" in _help("work", env={"RIGHTS_LEDGER_LANG": "zh_CN"})
    assert "作品登记及权属管理。" in _help("work", env={"LANG": "zh_CN.UTF-8"})
    assert "Register works" in _help("work", env={"LANG": "zh_CN.UTF-8", "RIGHTS_LEDGER_LANG": "en"})
    assert "Register works" in _help("--lang", "en", "work", env={"RIGHTS_LEDGER_LANG": "zh_CN"})


def test_unknown_language_is_a_usage_error():
    r = CliRunner().invoke(cli, ["--lang", "fr", "work", "--help"])
    assert r.exit_code == 2 and "fr" in r.output


def test_messages_and_errors_in_chinese():
    r = CliRunner().invoke(cli, ["--lang", "zh_CN", "verify"])
    assert r.exit_code == 2
    assert "错误：" in r.output and "三者必须且只能给出一个" in r.output
    r = CliRunner().invoke(cli, ["--lang", "en", "verify"])
    assert r.exit_code == 2 and "error:" in r.output and "give exactly one of FILE" in r.output


def test_installed_command_reads_lang_before_help():
    """The command's main(): RIGHTS_LEDGER_LANG applies even to a `--help` parsed before `--lang` would be."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "RIGHTS_LEDGER_LANG": "zh_CN"}
    p = subprocess.run([sys.executable, "-m", "ledger.cli", "--help"], env=env, capture_output=True, text=True,
                       timeout=120)  # fmt: skip
    assert p.returncode == 0 and "版权账本" in p.stdout and "显示此帮助信息并退出。" in p.stdout, p.stdout + p.stderr
