"""The command line and the run: every figure from fresh, empty hosts, in an order that keeps one
figure's aftermath off the next, then the JSON per figure and (for a whole run) the report."""
import argparse, json, os, shutil, signal, time

from .contenders import NetavarkProtocol, PontoonCNI, ReferenceChain
from .fig1_add_del import figure_add_del
from .fig2_scale import figure_scale
from .fig3_concurrency import figure_concurrency
from .fig4_startup import figure_startup
from .fig5_floor import figure_floor
from .fig6_rootless import ROOTLESS_SHAPE, figure_rootless
from .hosts import NETNS_DIR, WORK_DIR, Namespaces, setns, warm
from .measure import quiesce
from .names import BASELINE, NETAVARK, PONTOON_CNI, PONTOON_NV, ROOTLESS
from .process import log
from .publish import load_results, publish


def arguments():
    parser = argparse.ArgumentParser(prog="scripts/bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--full", action="store_true", help="fill every contender to every size (the reference chain and netavark to 1,000: ~20 more minutes)")
    parser.add_argument("--pontoon", required=True)
    parser.add_argument("--floor", required=True)
    parser.add_argument("--pontoonctl", default="-", help="pontoonctl (figure 6, rootless); pontoon beside it")
    parser.add_argument("--out", required=True)
    parser.add_argument("--readme")
    parser.add_argument("--machine", default="")
    parser.add_argument("--revision", default="", help="the sources' git revision (the README's rootless block names it)")
    parser.add_argument("--only", help="comma-separated figures to run (development): 1,2,3,4,5,6")
    parser.add_argument("--sizes", help="figure 2's host sizes, comma-separated (default 1,100,1000; quick 1,100)")
    parser.add_argument("--charts-only", action="store_true", help="redraw charts, summary and README from bench/*.json")
    parser.add_argument("--baseline", metavar="PATH",
                        help=f"an older pontoon binary, measured through CNI beside pontoon CNI in figure 1 as \"{BASELINE}\"")
    args = parser.parse_args()
    if args.baseline and not os.access(args.baseline, os.X_OK):
        parser.error(f"--baseline {args.baseline}: not an executable file")
    only = set(args.only.split(",")) if args.only else set("123456")
    needed = [("--pontoon", args.pontoon, only), ("--floor", args.floor, only & {"5"}), ("--pontoonctl", args.pontoonctl, only & {"6"})]
    for option, path, figures in needed:
        if figures and not args.charts_only and not os.access(path, os.X_OK):
            parser.error(f"{option} {path}: not an executable file (build first)")
    return args


def interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    args = arguments()
    # SIGTERM as Ctrl-C: the finally blocks remove what the run made (figure 6's user above all).
    signal.signal(signal.SIGTERM, interrupted)
    if args.charts_only:
        return publish(args, *load_results(args.out))
    quick = args.quick
    os.makedirs(NETNS_DIR, exist_ok=True)
    os.makedirs(WORK_DIR, exist_ok=True)
    namespaces = Namespaces()
    home = namespaces.home
    started = time.time()
    figure = [0, ""]

    def progress(message):
        log(f"[{time.time() - started:5.0f} s] figure {figure[0]} {figure[1]}: {message}")

    contenders = [PontoonCNI(args.pontoon, namespaces),
                  NetavarkProtocol(PONTOON_NV, args.pontoon, namespaces),
                  ReferenceChain(namespaces),
                  NetavarkProtocol(NETAVARK, "/usr/lib/podman/netavark", namespaces)]
    # The baseline stands beside pontoon CNI, so the chart's bars and the table's rows pair them.
    baseline = [PontoonCNI(args.baseline, namespaces, name=BASELINE)] if args.baseline else []
    with_baseline = contenders[:1] + baseline + contenders[1:]
    setns(home)
    only = set(args.only.split(",")) if args.only else {"1", "2", "3", "4", "5", "6"}
    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else [1, 100] if quick else [1, 100, 1000]
    # Figure 2 runs last: the thousands of namespaces it leaves are torn down by the kernel in the
    # background, holding the rtnl lock that every other figure's operations need.
    plan = [
        ("1", "fig1-add-del", "ADD, DEL, ADD+DEL", with_baseline,
         lambda: figure_add_del(with_baseline, 10 if quick else 30, home, progress)),
        ("3", "fig3-concurrency", "concurrent callers", contenders,
         lambda: figure_concurrency(contenders, [1, 4, 16], 16 if quick else 48, home, progress)),
        ("4", "fig4-startup", "start-up and peak memory", contenders,
         lambda: figure_startup(contenders, 40 if quick else 200, 2 if quick else 5, home, progress)),
        ("5", "fig5-floor", "floor and breakdown", contenders,
         lambda: figure_floor(contenders[0], args.floor, 50 if quick else 300, 5 if quick else 20, home, progress)),
        # Its own private host, outside namespace and throwaway user: no contender of the others.
        ("6", ROOTLESS, "rootless, beside podman 4.3.1", [],
         lambda: figure_rootless(args.pontoonctl, namespaces, quick, progress)),
        ("2", "fig2-scale", "cost as the host grows", contenders,
         lambda: figure_scale(contenders, sizes, 4 if quick else 10, home, progress,
                              cap=None if args.full else (lambda c: max(sizes) if c.name in (PONTOON_CNI, PONTOON_NV) else 100))),
    ]
    results = {}
    try:
        for number, key, title, taking_part, run in plan:
            if number not in only:
                continue
            figure[:] = [number, f"({title})"]
            # Every figure starts from fresh, empty hosts: what one contender left (rules, links,
            # leases, records) goes with its namespace and state directories.
            for c in taking_part:
                c.fresh_host()
            setns(home)
            quiesce(progress)
            warm(taking_part, home)
            progress("started")
            results[key] = run()
            setns(home)
    finally:
        setns(home)
        for c in with_baseline:
            for netns, _ in c.attached.values():
                namespaces.remove(netns)
            namespaces.remove(c.host)
        shutil.rmtree(WORK_DIR, ignore_errors=True)
    seconds = round(time.time() - started, 1)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": args.machine, "revision": args.revision,
            "mode": "quick" if quick else "default", "seconds": seconds,
            "shape": "bridge, isGateway, masquerade, 2 port mappings (tcp, udp), host-local 10.88.0.0/16"}
    os.makedirs(args.out, exist_ok=True)
    for key, value in results.items():
        shape = {"shape": ROOTLESS_SHAPE} if key == ROOTLESS else {}
        with open(os.path.join(args.out, key + ".json"), "w") as f:
            json.dump(dict(meta, figure=key, results=value, **shape), f, indent=1)
    if len(results) < len(plan):
        log(f"partial run ({', '.join(results)}): JSON written; no charts, summary or README ({seconds} s)")
        return
    publish(args, results, meta)
