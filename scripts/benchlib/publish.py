"""From the figures' results to what people read: summary.json (with the targets), the charts, the
README's marked block and the table on stdout. --charts-only starts here, from bench/*.json."""
import json, os

from . import rootless_report
from .charts import charts
from .names import FIGURES, ROOTLESS
from .readme import readme_block, rewrite_readme, table
from .targets import targets

RUN_KEYS = ("date", "machine", "mode", "seconds", "revision")


def load_results(out):
    results, meta = {}, None
    for key in FIGURES:
        with open(os.path.join(out, key + ".json")) as f:
            doc = json.load(f)
        results[key] = doc.pop("results")
        doc.pop("figure", None)
        meta = meta or doc
    # Figure 6 (rootless) is optional, and may come from a run of its own (--only 6): it keeps its run's date.
    path = os.path.join(out, ROOTLESS + ".json")
    if os.path.exists(path):
        with open(path) as f:
            doc = json.load(f)
        results[ROOTLESS] = dict(doc["results"], run={k: doc.get(k) for k in RUN_KEYS})
    return results, meta


def publish(args, results, meta):
    """summary.json, the charts, the README block and the table on stdout."""
    doc = dict(meta, targets=targets(results))
    rootless = results.get(ROOTLESS)
    if rootless:
        rootless.setdefault("run", {k: meta.get(k) for k in RUN_KEYS})
        doc["rootless"] = dict(rootless["run"], targets=rootless_report.targets(rootless))
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(doc, f, indent=1)
    charts(results, args.out)
    if rootless:
        rootless_report.chart(rootless, args.out)
    if args.readme:
        rewrite_readme(args.readme, readme_block(results, doc))
        if rootless and not rootless_report.rewrite_readme(args.readme, rootless_report.readme_block(rootless)):
            print(f"{args.readme} has no {rootless_report.README_BEGIN!r} block: figure 6 not written there")
    print(table(results))
    if rootless:
        print()
        print(rootless_report.table(rootless))
        for t in doc["rootless"]["targets"]:
            print(f"{'met   ' if t['met'] else 'MISSED'} {t['target']}: {t['measured']}")
    print()
    for t in doc["targets"]:
        print(f"{'met   ' if t['met'] else 'MISSED'} {t['target']}: {t['measured']}")
    print(f"\nwritten: {args.out}/fig*.json, fig*.png, summary.json{', ' + args.readme if args.readme else ''} ({meta['seconds']} s)")
