"""python -m qa ask|build|train|fit|eval|bench|commitments|plans|add|feedback — messages to people are Chinese; errors go to stderr."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

from ..config import MODES, Settings
from ..files import write_atomic
from ..reading.text import normalize
from .cli_eval import cmd_bench, cmd_eval, cmd_fit, cmd_train

def _print_answer(result: dict) -> None:
    if result.get("notice"):
        print(f"提示：{result['notice']}")
    if result.get("resolved_question"):
        print(f"按“{result['resolved_question']}”理解")
    label = "（计划未作回答）" if result["abstained"] else ""
    print(f"答：{result['answer']}{label}")
    if result["citations"]:
        print("\n出处：")
    for c in result["citations"]:
        print(f"[{c['rank']}] {c['section']}（第{c['start']}–{c['end']}字）\n    {c['text']}")


def cmd_ask(args, settings: Settings) -> int:
    from ..library import Library

    if not args.jsonl and not normalize(args.question or ""):
        print("错误：问题不能为空。用法：python -m qa ask \"今年要新建多少个公共充电桩？\"", file=sys.stderr)
        return 2
    library = Library(settings)
    if args.plan:
        library.plan(args.plan)                       # a plan that is not there: said before any question
    assistant = partial(library.ask, plan=args.plan)
    if not args.jsonl:
        try:
            result = assistant(args.question, args.mode).to_json()
        except ValueError as exc:                     # a question with no words in it
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            _print_answer(result)
        return 0
    for raw in sys.stdin.buffer:
        print(json.dumps(_answer_line(assistant, raw, args.mode), ensure_ascii=False), flush=True)
    return 0


BAD_LINE = "该行以 { 开头，但不是 {\"question\": \"…\", \"history\": [...]} 形式的 JSON 对象"


def _answer_line(assistant, raw: bytes, mode) -> dict:
    """One --jsonl line: a plain question, or {"question": ..., "history": [...]}; the answer
    object, or an error object for that line alone."""
    try:
        question = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        return {"question": None, "error": f"该行不是有效的 UTF-8 文本（第{exc.start}字节）"}
    history = None
    if question.lstrip().startswith("{"):
        try:
            obj = json.loads(question)
        except ValueError:
            obj = None
        if not isinstance(obj, dict) or not isinstance(obj.get("question"), str) or set(obj) - {"question", "history"}:
            return {"question": None, "error": BAD_LINE}
        question, history = obj["question"], obj.get("history")
    try:
        return assistant(question, mode, history=history).to_json()
    except ValueError as exc:
        return {"question": question, "error": str(exc)}


def cmd_build(args, settings: Settings) -> int:
    """The clean text and index of every plan (or of QA_PLAN's) that is missing or stale, then the
    fitted weights when they no longer match the model, the adapter or the items' plan's text."""
    from ..index import store
    from ..index.embedding import load_embedder
    from ..learning.adapter import trainer
    from ..plan import document

    embedder = load_embedder(settings)
    adapter = trainer(settings)
    for plan in [settings.plan] if settings.plan else [d.name for d in settings.plan_dirs()]:
        one = replace(settings, plan=plan)
        path = document.write_clean(one)
        doc = document.load(one)
        if args.if_stale and not store.problems(one, doc, embedder, adapter):
            print(f"索引已是最新：{store.folder(one, doc)}")
            continue
        m = store.build(one, doc, embedder, adapter).manifest
        print(f"已写出清洗文本 {path}")
        print(f"索引已建好：{m['n_chunks']} 个段落块，{m['dim']} 维，用时 {m['build_seconds']} 秒 → {store.folder(one, doc)}")
    return _refit_if_stale(settings, embedder)


def _refit_if_stale(settings: Settings, embedder) -> int:
    from ..assistant import Assistant
    from ..answering.weights import load_fitted
    from ..learning.items import for_items

    if not settings.fitted_weights or not settings.weights_file.is_file():
        return 0
    assistant = Assistant(for_items(replace(settings, plan="")), embedder)
    if load_fitted(settings.weights_file, assistant.fingerprint)[0] is not None:
        return 0
    print(f"拟合权重 {settings.weights_file} 与当前模型、适配器或语料不符，重新拟合……")
    return cmd_fit(argparse.Namespace(train=None, dev=None, out=None, forms_only=False), settings, assistant)


ROLE_NAMES = {"review": "回顾", "targets": "目标", "tasks": "任务", None: "未判断"}


def cmd_add(args, settings: Settings) -> int:
    from ..plan import adding     # no model imports until the plan is in

    found, problems, folder = adding.add(Path(args.path), settings, args.id)
    print(f"已加入计划 {found.id} → {folder}")
    print(f"  标题：{found.title}\n  城市：{found.city or '（未判断）'}\n  计划年份：{found.target_year}，"
          f"回顾：{found.review_year}")
    for s in found.sections:
        print(f"  {s['label']}、{s['heading']} → {ROLE_NAMES[s['role']]}")
    for p in problems:
        print(f"未能判断：{p}（可编辑 {folder / settings.profile_file}）")
    return cmd_build(argparse.Namespace(if_stale=False), replace(settings, plan=found.id))


def cmd_plans(args, settings: Settings) -> int:
    from ..plan import profile     # no model imports

    plans = profile.every(settings)
    if not plans:
        raise FileNotFoundError(f"{settings.corpus_dir} 下没有计划（每份计划一个文件夹，内有 {settings.page_file}）")
    served = settings.plan_dir.name
    rows = [{**found.to_json(), "served": doc.doc_id == served} for doc, found in plans]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        roles = "，".join(f"{s['label']}={ROLE_NAMES[s['role']]}" for s in r["sections"])
        print(f"{'*' if r['served'] else ' '} {r['id']}  {r['title']}  计划年份 {r['target_year']}，"
              f"回顾 {r['review_year']}  章节：{roles}")
    print(f"\n共 {len(rows)} 份计划；* 为默认回答的计划")
    return 0


def cmd_commitments(args, settings: Settings) -> int:
    from ..plan import commitments, document, profile     # no model imports: this command starts fast

    if args.outcomes:
        return _outcomes(args, settings)
    doc = document.load(settings)
    records = commitments.filter_records(commitments.extract(doc, profile.ensure(doc, settings)),
                                         topic=args.topic, section=args.section, kind=args.kind)
    if args.format == "json":
        print(json.dumps([r.to_json() for r in records], ensure_ascii=False, indent=1))
    elif args.format == "csv":
        sys.stdout.write(commitments.to_csv(records))
    elif records:
        print(commitments.to_table(records))
        print(f"\n共 {len(records)} 条")
    else:
        print("没有符合条件的承诺。")
    return 0


def _outcomes(args, settings: Settings) -> int:
    """Every plan's targets beside the outcomes a later plan reports (qa.plan.outcomes)."""
    from ..plan import outcomes

    rows = [r for r in outcomes.compare(outcomes.every_plan(settings)) if args.topic is None or args.topic in r.indicator]
    if args.format == "csv":
        sys.stdout.write(outcomes.rows_csv(rows))
        return 0
    if args.format == "json":
        print(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=1))
        return 0
    if not rows:
        print("没有可对照的目标：没有哪份计划回顾了另一份计划的目标年份。")
        return 0
    for r in rows:
        t, o = r.target, r.outcome
        got = f"{o.value}{o.unit}（{r.outcome_plan} {o.id}）" if o else "—"
        print(f"{r.year}年 {r.indicator}：目标 {t.value}{t.unit}{t.qualifier}（{r.target_plan} {t.id}） → 结果 {got}  "
              f"{outcomes.VERDICTS[r.verdict]}")
    print(f"\n共 {len(rows)} 项，其中有结果的 {sum(r.outcome is not None for r in rows)} 项")
    return 0


def _shown(text) -> str:
    """One line of a listing: control and format characters written as escapes."""
    return "".join(ch if ch.isprintable() or ch == "\u3000" else ascii(ch)[1:-1] for ch in str(text or ""))


def cmd_feedback(args, settings: Settings) -> int:
    from . import feedback     # no model imports: this command starts fast

    if not feedback.path(settings).is_file():
        print(f"还没有反馈：{feedback.path(settings)} 不存在（在应用里对回答点 👍 或 👎 后才会有）。")
        return 0
    records, bad = feedback.load(settings)
    votes = feedback.latest(records)
    skipped = f"（另有 {bad} 行无法读取，已跳过）" if bad else ""
    if args.export:
        items = feedback.draft_items(records)
        target = Path(args.export)
        try:
            write_atomic(target, "".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items).encode("utf-8"))
        except OSError as exc:
            print(f"错误：无法写入 {target}（{exc.strerror or exc}）", file=sys.stderr)
            return 1
        print(f"已把 {len(items)} 条 👎 反馈导出为评测草稿：{target}{skipped}")
        print("请人工填写 type、answers、evidence、section 后再加入 eval/dev.jsonl（不可加入 test）。")
        return 0
    if args.json:
        for rec in votes:
            print(json.dumps(rec, ensure_ascii=False))
        return 0
    for rec in votes:
        comment = f"  意见：{_shown(rec['comment'])}" if rec["comment"] else ""
        print(f"{rec['time']}  {'👍' if rec['vote'] == 'up' else '👎'}  fb-{rec['id'][:8]}  {_shown(rec['question'])}{comment}")
    up = sum(rec["vote"] == "up" for rec in votes)
    print(f"共 {len(votes)} 条反馈：👍 {up} 条，👎 {len(votes) - up} 条{skipped}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m qa", description="国民经济和社会发展计划 问答助手")
    sub = p.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="回答一个问题")
    ask.add_argument("question", nargs="?", help="问题（中文）")
    ask.add_argument("--json", action="store_true", help="输出答案 JSON")
    ask.add_argument("--jsonl", action="store_true", help="从标准输入逐行读问题，逐行输出 JSON")
    ask.add_argument("--mode", choices=MODES, help="检索方式（默认 hybrid）")
    ask.add_argument("--plan", help="回答哪份计划（编号见 python -m qa plans；默认最新的一份）")
    build = sub.add_parser("build", help="重建清洗文本和索引")
    build.add_argument("--quiet", action="store_true", help="不显示进度条")
    build.add_argument("--if-stale", action="store_true", help="只在索引缺失或过期时重建")
    tr = sub.add_parser("train", help="在训练集上整体微调 e5 模型（对比用；默认的问题适配器由 build 训练）")
    tr.add_argument("--fraction", type=float, help="只用训练集的这一比例（学习曲线），如 0.25")
    fi = sub.add_parser("fit", help="在训练集上拟合答案形式判断、片段排序权重与拒答判断，写出权重文件")
    fi.add_argument("--train", help="训练集（默认 settings.train_file，即 eval/train.jsonl）")
    fi.add_argument("--dev", help="选择惩罚强度与拒答阈值用的开发集（默认 eval/dev.jsonl）")
    fi.add_argument("--out", help="权重文件（默认 settings.weights_file）")
    fi.add_argument("--forms-only", action="store_true", help="只拟合答案形式（片段/概述/分问）的判断，写出 settings.forms_file")
    bench = sub.add_parser("bench", help="测速：冷启动、建索引、各检索方式延迟与下限、吞吐、内存峰值")
    bench.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    bench.add_argument("--load", action="store_true", help="只测并发：启动应用，20 个客户端各问 10 个问题，测 3 轮")
    bench.add_argument("--api", action="store_true", help="与 --load 同用：经 JSON API（/api/ask）而不是 Gradio 的接口")
    ev = sub.add_parser("eval", help="在评测集上打分")
    ev.add_argument("--set", action="append", help="评测集 JSONL 文件（可重复；默认 dev 与 test）")
    ev.add_argument("--mode", choices=(*MODES, "all"), default="all", help="检索方式（默认 all）")
    ev.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    ev.add_argument("--save", metavar="FILE", help="把每题对错写入 FILE（JSON），供 --compare 对比")
    ev.add_argument("--compare", metavar="FILE", help="与 --save 存下的一次评测逐题对比：赢了哪些、输了哪些")
    ev.add_argument("--report", action="store_true", help="写出 eval/REPORT.md 和图表（dev 与 test）")
    ev.add_argument("--ablation", action="store_true", help="逐项消融（dev 与 test，hybrid），写出 eval/ablation.md")
    com = sub.add_parser("commitments", help="列出计划中的量化承诺（计划年度的目标与上一年的完成情况）")
    com.add_argument("--topic", help="按关键词筛选事项或原句，如 养老")
    com.add_argument("--section", help="按章节筛选，如 \"(九)\" 或 三")
    com.add_argument("--kind", choices=("target", "result"), help="target=计划年度的目标，result=上一年的完成情况")
    com.add_argument("--format", choices=("table", "csv", "json"), default="table", help="输出格式（默认 table）")
    com.add_argument("--outcomes", action="store_true",
                     help="目标对照结果：一份计划定下的目标，与回顾该年份的后一份计划报告的结果并列")
    ad = sub.add_parser("add", help="加入一份计划：UTF-8 文本文件，每段一行，第一行为标题")
    ad.add_argument("path", help="计划文本文件")
    ad.add_argument("--id", help="计划编号（默认取文件名），只含小写字母、数字和连字符")
    pl = sub.add_parser("plans", help="列出 corpus/ 下的计划及其概况（年份、城市、各章节的作用）")
    pl.add_argument("--json", action="store_true", help="输出 JSON")
    fb = sub.add_parser("feedback", help="列出应用里收到的 👍/👎 反馈；--export 把 👎 的问题导出为评测草稿")
    fb.add_argument("--export", metavar="FILE", help="把 👎 的问题写成评测草稿（JSONL，type 等字段留空待人工填写）")
    fb.add_argument("--json", action="store_true", help="逐行输出反馈记录 JSON")
    return p


def main(argv: list | None = None) -> int:
    args = parser().parse_args(argv)
    overrides = {"show_progress": False} if getattr(args, "quiet", False) else {}
    try:
        settings = Settings.from_env(**overrides)
        return {"ask": cmd_ask, "build": cmd_build, "eval": cmd_eval, "bench": cmd_bench, "train": cmd_train,
                "fit": cmd_fit, "commitments": cmd_commitments, "feedback": cmd_feedback, "plans": cmd_plans, "add": cmd_add}[args.command](args, settings)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
