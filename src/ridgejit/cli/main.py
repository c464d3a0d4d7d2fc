"""Command line: ``ridgejit compare``, ``ridgejit info``, ``ridgejit fit``, ``ridgejit predict`` and
``ridgejit make-data``."""

import argparse
import json
import sys


def _csv(text):
    return tuple(s.strip() for s in text.split(",") if s.strip())


def _measure(args):
    from ..bench import compare, measure

    if args.kernels:
        X, y = compare.make_regression(args.n_samples, args.n_features, dtype=args.dtype, seed=args.seed)
        names = [b for b in args.backends if b != "auto"] or ["numba"]
        times = {b: measure.kernel_times(X, y, repeats=max(args.repeats, 3), backend=b) for b in names}
        print(f"kernels on {args.n_samples} x {args.n_features} {args.dtype} "
              f"(best of {max(args.repeats, 3)}; seconds, last row a ratio):")
        print(f"  {'':22s}" + "".join(f"{b:>10s}" for b in names))
        for key in times[names[0]]:
            print(f"  {key:22s}" + "".join(f"{times[b][key]:10.4f}" for b in names))
    if args.startup:
        t = measure.startup_times()
        for label, (imp, first) in t.items():
            print(f"start-up, {label} Numba cache: import {imp:.2f} s, import + first fits {first:.2f} s")
    return 0


def _map(args):
    from ..bench import perfmap

    log = (lambda *a: print(*a, file=sys.stderr)) if not args.quiet else None
    grid = perfmap.QUICK_GRID if args.map == "quick" else perfmap.GRID
    rows = perfmap.run_map(grid, alpha=args.alpha, repeats=args.repeats, log=log)
    if args.json:
        print(json.dumps(rows, indent=2, default=float))
    else:
        print(perfmap.format_map(rows))
    if args.plot:
        perfmap.plot_map(rows, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _compare(args):
    from ..bench import compare

    if args.map:
        return _map(args)
    if args.kernels or args.startup:
        return _measure(args)
    log = (lambda *a: print(*a, file=sys.stderr)) if not args.quiet else None
    cv, cv_alphas = False, None
    if args.cv is not None or args.alphas is not None:
        from .fit_cv import parse_alphas, parse_cv
        from .io import DataError

        try:
            cv = parse_cv(args.cv)
            cv_alphas = parse_alphas(args.alphas) if args.alphas else None
        except DataError as exc:
            print(f"ridgejit: error: {exc}", file=sys.stderr)
            return 2
    rows = compare.run(
        args.n_samples, args.n_features, dtype=args.dtype, seed=args.seed, alpha=args.alpha,
        solvers=args.solvers, sklearn_solvers=args.sklearn_solvers, repeats=args.repeats,
        tol=args.tol, max_iter=args.max_iter, backends=args.backends, density=args.density,
        sklearn_tol=args.sklearn_tol, log=log, cv=cv, cv_alphas=cv_alphas,
    )
    if args.json:
        print(json.dumps(rows, indent=2, default=float))
    else:
        print(compare.format_table(rows))
    if args.plot:
        from ..bench.plot import plot_comparison

        title = f"ridgejit compare: {args.n_samples} x {args.n_features} {args.dtype}, alpha={args.alpha}"
        plot_comparison(rows, args.plot, title)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _info(args):
    from .._info import config_info, show_config

    if args.json:
        print(json.dumps(config_info(), indent=2, default=str))
    else:
        show_config()
    return 0


def build_parser():
    """The ``ridgejit`` argument parser."""
    from ..bench.compare import RIDGEJIT_SOLVERS, SKLEARN_SOLVERS, SPARSE_SKLEARN_SOLVERS

    parser = argparse.ArgumentParser(prog="ridgejit", description="Fast ridge regression.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compare", help="time ridgejit against scikit-learn Ridge on synthetic data")
    c.add_argument("--n-samples", type=int, default=1_000_000)
    c.add_argument("--n-features", type=int, default=100)
    c.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--alpha", type=float, default=1.0)
    c.add_argument("--solvers", type=_csv, default=RIDGEJIT_SOLVERS,
                   help=f"ridgejit solvers, comma separated (default {','.join(RIDGEJIT_SOLVERS)})")
    c.add_argument("--sklearn-solvers", type=_csv, default=None,
                   help=f"scikit-learn Ridge solvers (default {','.join(SKLEARN_SOLVERS)}; "
                        f"with --density: {','.join(SPARSE_SKLEARN_SOLVERS)})")
    c.add_argument("--sklearn-tol", type=float, default=None,
                   help="tol of scikit-learn's solvers (default: scikit-learn's own)")
    c.add_argument("--density", type=float, default=1.0,
                   help="below 1: sparse CSR data with this fraction of stored values")
    c.add_argument("--repeats", type=int, default=3,
                   help="timed fits per solver, the best is shown (a fit over 2 s runs once)")
    c.add_argument("--tol", type=float, default=None,
                   help="tol of ridgejit's iterative solvers: the relative objective gap (default: "
                        "each solver's, 1e-12 for auto and cg)")
    c.add_argument("--backends", type=_csv, default=("auto",),
                   help="kernel backends to run each ridgejit solver with, e.g. numba,cython")
    c.add_argument("--max-iter", type=int, default=None,
                   help="max_iter of ridgejit's cg/gd/nesterov (default 100) and epochs of the "
                        "stochastic solvers sgd,asgd,sag,saga,svrg (default 10)")
    c.add_argument("--cv", metavar="K", default=None,
                   help="also time RidgeCV (ridgejit and scikit-learn) with K folds or 'loo'")
    c.add_argument("--alphas", metavar="GRID", default=None,
                   help="RidgeCV alphas: LOW:HIGH:COUNT (log-spaced) or a comma list "
                        "(default 1e-3:1e3:20); alone, it means --cv loo")
    c.add_argument("--json", action="store_true", help="print the rows as JSON")
    c.add_argument("--plot", metavar="FILE.png",
                   help="also draw fit times and convergence curves (needs matplotlib)")
    c.add_argument("--kernels", action="store_true",
                   help="time the Numba kernels against X @ v instead of the fits")
    c.add_argument("--startup", action="store_true",
                   help="time import + first fit in fresh processes (cold and warm Numba cache)")
    c.add_argument("--map", nargs="?", const="full", choices=("full", "quick"), default=None,
                   help="the performance map: ridgejit's default Ridge() against scikit-learn at equal "
                        "accuracy over a grid of shapes (quick: a CI-sized grid); --plot draws the heat map")
    c.add_argument("--quiet", action="store_true", help="no progress on stderr")
    c.set_defaults(func=_compare)
    i = sub.add_parser("info", help="versions, backends, threads and CPU")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_info)
    from .fit import add_parsers
    from .make_data import add_parser

    add_parsers(sub)
    add_parser(sub)
    return parser


def main(argv=None):
    """Entry point of the ``ridgejit`` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
