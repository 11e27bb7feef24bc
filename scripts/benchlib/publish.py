"""From the figures' results to what people read: summary.json (with the targets), the charts, the
README's marked block and the table on stdout. --charts-only starts here, from bench/*.json."""
import json, os

from .charts import charts
from .names import FIGURES
from .readme import readme_block, rewrite_readme, table
from .targets import targets


def load_results(out):
    results, meta = {}, None
    for key in FIGURES:
        with open(os.path.join(out, key + ".json")) as f:
            doc = json.load(f)
        results[key] = doc.pop("results")
        doc.pop("figure", None)
        meta = meta or doc
    return results, meta


def publish(args, results, meta):
    """summary.json, the charts, the README block and the table on stdout."""
    doc = dict(meta, targets=targets(results))
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(doc, f, indent=1)
    charts(results, args.out)
    if args.readme:
        rewrite_readme(args.readme, readme_block(results, doc))
    print(table(results))
    print()
    for t in doc["targets"]:
        print(f"{'met   ' if t['met'] else 'MISSED'} {t['target']}: {t['measured']}")
    print(f"\nwritten: {args.out}/fig*.json, fig*.png, summary.json{', ' + args.readme if args.readme else ''} ({meta['seconds']} s)")
