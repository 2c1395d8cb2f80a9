"""The SDK's error messages in Chinese (issue 16): an error is raised in English where it happens;
the CLI shows it through the catalogue (ledger.core.i18n.error_text), with its values kept."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from ledger.cli import cli
from ledger.core import i18n, parsing
from ledger.core.errors import LedgerError
from ledger.core.inputs import decode_text, read_bytes

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _english_afterwards(monkeypatch):
    for var in ("RIGHTS_LEDGER_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    yield
    i18n.set_language("en")
    CliRunner().invoke(cli, ["--lang", "en", "--help"])


def test_every_error_template_in_scope_has_a_chinese_translation_with_the_same_values():
    templates = i18n.error_templates()
    assert len(templates) > 200  # the raise sites of ERROR_SCOPE (cli, inputs, parsing, keystore, node, ...)
    zh = i18n.translations("zh_CN")
    for t in templates:
        translated = zh.gettext(t)
        assert translated != t, f"untranslated error message: {t!r}"
        if re.search(r"(?<![\w-])[a-z]{3,}(?![\w=-])", re.sub(r"`[^`]*`", "", t)):  # it has English words
            assert CJK.search(translated), f"untranslated error message: {t!r}"
        assert sorted(re.findall(r"\{\d+\}", t)) == sorted(re.findall(r"\{\d+\}", translated)), t


def _raised(call, *args, **kwargs) -> LedgerError:
    with pytest.raises(LedgerError) as exc:
        call(*args, **kwargs)
    return exc.value


@pytest.mark.parametrize(("error", "chinese"), [
    (lambda: _raised(parsing.parse_work_id, "0x12"), "作品编号 '0x12' 格式错误"),
    (lambda: _raised(parsing.parse_period, "2025-13"), "不是 YYYYMM 格式的月份"),
    (lambda: _raised(parsing.parse_address, "0x1234", "licensee"), "不是以太坊地址"),
    (lambda: _raised(parsing.parse_bps, "20000"), "必须在"),
    (lambda: _raised(parsing.parse_territory, "XX"), "不是 ISO 3166-1 中已分配的 alpha-2 代码"),
    (lambda: _raised(read_bytes, "/no/such/file.csv", what="usage report"), "文件不存在"),
    (lambda: _raised(decode_text, b"ok\n caf\xe9", "r.csv", "usage report"), "不是 UTF-8 文本（字节 0xe9"),
])  # fmt: skip
def test_sdk_errors_read_in_chinese_with_their_values(error, chinese):
    exc = error()
    with i18n.language("zh_CN"):
        text = i18n.error_text(exc.message)
        hint = i18n.error_text(exc.hint) if exc.hint else None
    assert chinese in text, text
    assert not re.search(r"\b(is|not|must|the|no such)\b", text), f"English left: {text}"
    if hint:
        assert CJK.search(hint), hint
    with i18n.language("en"):
        assert i18n.error_text(exc.message) == exc.message  # English stays as raised


def test_a_where_prefix_stays_and_the_rest_is_translated():
    with i18n.language("zh_CN"):
        text = i18n.error_text("cat.csv:3:holders: a holder is listed twice")
        assert text == "cat.csv:3:holders：同一权利人被列出两次"
        assert i18n.error_text("something no template knows") == "something no template knows"


def test_the_cli_shows_an_sdk_error_and_its_hint_in_chinese():
    r = CliRunner().invoke(cli, ["--lang", "zh_CN", "work", "show", "0x12"])
    assert r.exit_code == 2
    out = " ".join(r.output.split())
    assert "错误： 作品编号 '0x12' 格式错误：应为内容的 sha-256（64 位十六进制数字）" in out, out
    assert "提示： `rights-ledger verify FILE` 可查找文件对应的作品" in out, out
    r = CliRunner().invoke(cli, ["--lang", "en", "work", "show", "0x12"])
    assert r.exit_code == 2 and "error: work id '0x12' is malformed" in " ".join(r.output.split())


def test_an_error_of_a_module_newly_in_scope_reaches_the_cli_in_chinese(tmp_path):
    """ledger.domain.formats.cwr raises in English; ``--lang zh`` and ``LANG=zh_CN`` show it in Chinese, exit 2."""
    (tmp_path / "parties.csv").write_text("ip,account\n", encoding="utf-8")
    (tmp_path / "empty.cwr").write_bytes(b"")
    (tmp_path / "bad.cwr").write_text("XYZ000000000\n", encoding="ascii")
    args = ["work", "register-batch", "--format", "cwr", "--parties", str(tmp_path / "parties.csv")]
    r = CliRunner().invoke(cli, ["--lang", "zh", *args, str(tmp_path / "empty.cwr")])
    assert r.exit_code == 2, r.output
    assert f"错误： {tmp_path / 'empty.cwr'}：空文件，不是 CWR 传输文件" in " ".join(r.output.split()), r.output
    r = CliRunner(env={"LANG": "zh_CN.UTF-8"}).invoke(cli, [*args, str(tmp_path / "bad.cwr")])
    assert r.exit_code == 2, r.output
    out = " ".join(r.output.split())
    assert "bad.cwr:1:XYZ.sequence：记录前缀（第 4-19 位）必须是交易序号和记录序号（16 位数字）" in out, out
    assert "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["--lang", "en", *args, str(tmp_path / "empty.cwr")])
    assert r.exit_code == 2 and "empty file, not a CWR transmission" in " ".join(r.output.split())


def test_a_decoded_contract_error_and_its_hint_read_in_chinese():
    """The sentences ledger.core.chain attaches to a custom error (not the error's name) are translated."""
    from ledger.core import chain

    work = "0x" + "ab" * 32
    _cls, build, hint = chain._ERRORS["WorkRegistry__NotFound"]
    message = build({"workId": bytes.fromhex("ab" * 32)})
    assert message == f"no work {work} is registered"
    with i18n.language("zh_CN"):
        assert i18n.error_text(message) == f"未登记作品 {work}"
        assert i18n.error_text(hint) == "请检查编号，或用 `rights-ledger verify FILE` 查找文件对应的作品"
        unauthorized = chain._ERRORS["AccessControlUnauthorizedAccount"][1]({"account": "0x" + "11" * 20,
                                                                             "neededRole": b"\x00" * 32})
        assert CJK.search(i18n.error_text(unauthorized)) and "0x" + "11" * 20 in i18n.error_text(unauthorized)


def test_the_most_specific_template_wins_over_a_general_one_read_across_the_prefix():
    with i18n.language("zh_CN"):
        assert i18n.error_text("x.cwr:2:SPU.share: share 1.5 is not 5 digits (e.g. 05000 = 50.00 %)") == \
            "x.cwr:2:SPU.share：份额 1.5 不是 5 位数字（例如 05000 = 50.00 %）"  # not "{0} is not {1}"
        assert i18n.error_text("r.dsr:3:SU02.Usages: 'x' is not a whole number of uses") == \
            "r.dsr:3:SU02.Usages：'x' 不是表示使用次数的整数"
