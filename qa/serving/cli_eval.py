"""The commands that measure and learn: eval, fit, train, bench."""
from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from ..config import MODES, ROOT, Settings
from ..files import write_atomic

REPORT = ROOT / "eval" / "REPORT.md"
ABLATION = ROOT / "eval" / "ablation.md"     # written by --ablation, folded into the report
HISTORY = ROOT / "eval" / "HISTORY.md"       # hand-kept log of tuning steps, folded into the report
ABLATION_HEAD = ("Leave-one-out ablation, hybrid mode (`python -m qa eval --ablation`): each row undoes one "
                 "choice of the defaults.\n\n")


def cmd_eval(args, settings: Settings) -> int:
    from ..assistant import Assistant
    from ..evaluation import checks, evaluate, report
    from ..learning.items import for_items, load_set
    from ..plan import document

    settings = for_items(settings)          # the items are asked of the plan they were written for
    doc = document.load(settings)
    sets = {name: evaluate.SPLITS[name] for name in ("dev", "test")} if args.report or args.ablation else \
        {Path(p).stem: Path(p) for p in (args.set or evaluate.SPLITS.values())}
    loaded = {}
    for name, path in sets.items():
        if not Path(path).is_file():
            raise FileNotFoundError(f"评测集不存在：{path}")
        loaded[name] = load_set(path)
        bad = checks.check_set(loaded[name], doc.clean, doc.paragraphs)
        if bad:
            raise ValueError(f"评测集 {path} 有 {len(bad)} 处问题：" + "；".join(bad[:5]))
    modes = MODES if args.mode == "all" else (args.mode,)
    before = _saved_outcomes(args.compare) if args.compare else None
    if args.ablation:
        from ..evaluation import ablation
        from ..index.embedding import load_embedder

        table = ablation.markdown(ablation.run(settings, loaded, load_embedder(settings)))
        write_atomic(ABLATION, (ABLATION_HEAD + table + "\n").encode("utf-8"))
        print(table)
        return 0
    assistant = Assistant(settings)
    if args.report:
        results = {name: evaluate.evaluate(assistant, items, MODES) for name, items in loaded.items()}
        ablation = "\n\n".join(p.read_text(encoding="utf-8") for p in (HISTORY, ABLATION) if p.is_file())
        path = report.write_report({"test": results["test"], "dev": results["dev"]}, REPORT, ablation)
        print(f"已写出 {path}")
        print(report.table(results["test"]))
        return 0
    items = [it for part in loaded.values() for it in part]
    result = evaluate.evaluate(assistant, items, modes)
    result["set"] = ",".join(str(p) for p in sets.values())
    if args.save:
        write_atomic(Path(args.save), json.dumps(evaluate.outcomes(result), ensure_ascii=False).encode("utf-8"))
    if before is not None:
        result["compare"] = evaluate.paired(before, evaluate.outcomes(result))
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "records"}, ensure_ascii=False))
    else:
        print(f"评测集：{result['set']}（{result['n_items']} 题）")
        print(report.table(result))
        print()
        print(report.type_table(result))
        for mode, c in result.get("compare", {}).items():
            print(f"\n与 {args.compare} 逐题对比（{mode}，{c['paired']} 题）：赢 {len(c['won'])}，输 {len(c['lost'])}，"
                  f"符号检验 p={c['sign_test_p']}")
            for label, ids in (("赢", c["won"]), ("输", c["lost"])):
                print(f"  {label}：" + ("、".join(ids[:40]) + (f" …（共 {len(ids)} 题，全部见 --json）" if len(ids) > 40 else "")
                                       if ids else "无"))
    return 0


def _saved_outcomes(path: str) -> dict:
    """What `qa eval --save` wrote, checked before any question is asked."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"对比文件不存在：{path}（先用 qa eval --save 存下一次评测）")
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"对比文件不是 JSON：{path}（{exc}）") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(f"对比文件格式不对：{path}（应是 qa eval --save 写出的 {{检索方式: {{题号: 对错}}}}）")
    return data


def cmd_train(args, settings: Settings) -> int:
    """The full fine-tune (the adapter is trained by every build)."""
    from ..index.embedding import model_fingerprint, resolve_model
    from ..learning.finetune import ensure_matcher

    if args.fraction is not None:
        if not 0 < args.fraction <= 1:
            raise ValueError("--fraction 须在 0 和 1 之间，如 0.25")
        settings = replace(settings, train_fraction=args.fraction)
    base = resolve_model(settings)
    path = ensure_matcher(settings, Path(base), model_fingerprint(base))
    info = json.loads((Path(path) / "matcher.json").read_text(encoding="utf-8"))
    print(f"微调模型：{path}（{info['examples']} 个样本，{info['steps']} 步，训练用时 {info['train_seconds']} 秒）")
    print(f"使用方法：QA_MODEL={path} python -m qa build")
    return 0


def cmd_fit(args, settings: Settings, assistant=None) -> int:
    """Fit the form model, then the span weights and abstainer, on the items' plan (`assistant`: its
    assistant, when already loaded)."""
    from ..assistant import Assistant
    from ..evaluation.evaluate import SPLITS
    from ..learning import fit
    from ..learning.adapter import seeded_share
    from ..learning.forms import fit_forms
    from ..learning.items import for_items, load_set

    train, dev = load_set(Path(args.train or settings.train_file)), load_set(Path(args.dev or SPLITS["dev"]))
    train = seeded_share(train, settings)
    forms = fit_forms(train, dev, settings)
    path = fit.write(forms, settings.forms_file)
    acc = forms["dev_accuracy"]
    print(f"已写出 {path}：dev 答案形式判断准确率 {acc['fitted']}（规则 {acc['rules']}）")
    if args.forms_only:
        return 0
    data = fit.fit(assistant or Assistant(for_items(settings)), train, dev)
    path = fit.write(data, Path(args.out) if args.out else settings.weights_file)
    d = data["dev_top1"]
    print(f"已写出 {path}：dev 首选片段命中率 {d['fitted']}（手调权重 {d['hand_set']}），"
          f"L2 惩罚 {data['penalty']}，训练题 {data['train_questions']}")
    return 0


def cmd_bench(args, settings: Settings) -> int:
    if args.api and not args.load:
        print("--api 只能与 --load 一起用：python -m qa bench --load --api", file=sys.stderr)
        return 2
    if args.load:
        from .load import main
        return main(args.json, args.api)
    from ..evaluation import bench
    from ..learning.items import for_items
    return bench.main(for_items(settings), args.json)
