"""Side-by-side benchmark of pontoon and the established plugins (run by scripts/bench, as root).

Runs inside a private network + mount namespace made by scripts/bench, with a tmpfs over /run:
every contender gets its own private host namespace (its rules, bridge and links live and die
there) and its own state directories under /run; every container gets its own namespace. Nothing
reaches the real host, and everything vanishes with this process. Contenders are interleaved run by
run, so machine drift hits all alike. Writes bench/<figure>.json and bench/<figure>.png per figure,
bench/summary.json (machine, date, targets), and rewrites the marked block of README.md.

Read it in this order:
  main.py          the command line and the run: which figures, in which order, with which counts
  contenders.py    the plugins measured and how each is called (CNI, the reference chain, netavark)
  process.py       one call: spawn to reap, exit status, stdout, peak memory
  hosts.py         the private hosts (namespaces) and filling or emptying them, unmeasured
  measure.py       the pauses before timed calls, interleaving, medians and p95
  fig1_add_del.py … fig5_floor.py   one figure each
  fig6_rootless.py the rootless figure: its own private host, outside namespace and throwaway user
                   (rootless_user.py), pontoonctl's and podman's rootless paths (rootless_rows.py)
  publish.py       summary.json, charts.py (the PNGs), targets.py and readme.py (the README block);
                   rootless_report.py for figure 6 (its table, chart, targets and README block)
"""
