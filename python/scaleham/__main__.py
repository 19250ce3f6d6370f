"""python3 -m scaleham plot OUT.h5 --kind map|angell|departure|fit [-o fig.png] [...]

(`scaleham plot ...` runs this.) Writes the figure to -o (PNG, PDF or SVG by
its suffix), default OUT-KIND.png beside the input; exit 2 on bad input.
"""
import argparse
import pathlib
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="scaleham plot", description="The usual plots of a scaleham file.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plot", help="plot a scaleham HDF5 file")
    p.add_argument("file", type=pathlib.Path)
    p.add_argument("--kind", required=True, choices=["map", "angell", "departure", "fit"])
    p.add_argument("-o", "--output", type=pathlib.Path, help="figure file (default: FILE-KIND.png)")
    p.add_argument("--var", default="fit/B", help="map: GROUP/VARIABLE (default fit/B)")
    p.add_argument("--x", help="map: the horizontal axis; departure: the parameter (required there)")
    p.add_argument("--color-by", help="angell: the parameter that colours the curves")
    p.add_argument("--dataset", default="0", help="fit: dataset name or index (default 0)")
    p.add_argument("--dpi", type=int, default=120)
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    from . import plot
    from .files import open as open_file

    if not args.file.is_file():
        print(f"scaleham plot: error: {args.file}: no such file", file=sys.stderr)
        return 2
    try:
        tree = open_file(args.file)
        if args.kind == "map":
            fig = plot.parameter_map(tree, args.var, x=args.x)
        elif args.kind == "angell":
            fig = plot.angell(tree, color_by=args.color_by)
        elif args.kind == "departure":
            if not args.x:
                print("scaleham plot: error: --kind departure needs --x PARAMETER", file=sys.stderr)
                return 2
            fig = plot.departure(tree, args.x)
        else:
            fig = plot.fit_curves(tree, int(args.dataset) if args.dataset.isdigit() else args.dataset)
    except (KeyError, ValueError) as e:
        print(f"scaleham plot: error: {args.file}: {e}", file=sys.stderr)
        return 2
    out = args.output or args.file.with_name(f"{args.file.stem}-{args.kind}.png")
    fig.savefig(out, dpi=args.dpi, bbox_inches="tight")
    print(f"scaleham plot: wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
