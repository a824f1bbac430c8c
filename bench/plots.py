#!/usr/bin/python3
"""Pictures of the bench results: PNGs drawn with matplotlib's Agg backend (no display).

bench/swap.py calls swap_png directly; bench/throughput runs `plots.py throughput FILE.json`,
which draws FILE.png beside it (`plots.py swap swap.json` redraws a swap run the same way). Without matplotlib (Debian python3-matplotlib) each prints one
line and draws nothing: a missing picture never fails a benchmark.
"""
import json
import os
import sys

SWAP_COLOURS = {"file": "tab:orange", "api": "tab:green"}


def _pyplot(who):
    """matplotlib.pyplot on the Agg backend, or None (after one line on stderr) without it."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        print(f"{who}: no picture: matplotlib not found (Debian python3-matplotlib)", file=sys.stderr)
        return None


def lower_median(values):
    """The median as bench/throughput's shell takes it: the lower middle of an even count."""
    values = sorted(values)
    return values[(len(values) + 1) // 2 - 1] if values else 0.0


def _latency_panel(ax, run, dot):
    """Probe latencies (log scale), wrk's p99 per run as bars across it, a line per swap."""
    t0 = run["t0"]
    start, end, quiet_p99 = run["quiet"]
    ax.axvspan(start - t0, end - t0, color="0.92", label="no swaps (quiet run)")
    for kind, colour in SWAP_COLOURS.items():
        xs = [t - t0 for t, k in run["swaps"] if k == kind]
        # One thin line per swap (many close together read as a band); the legend gets a thick one.
        ax.vlines(xs, 0, 1, transform=ax.get_xaxis_transform(), colors=colour, linewidth=0.7, alpha=0.6)
        ax.plot([], [], color=colour, linewidth=3, label=f"swap triggered by {kind} ({len(xs)})")
    good = [(t - t0, ms) for t, ms, ok in run["probe"] if ok]
    bad = [(t - t0, ms) for t, ms, ok in run["probe"] if not ok]
    if good:
        ax.scatter(*zip(*good), s=dot, color="tab:blue", zorder=3,
                   label=f"probe request (one every {run['probe_interval_ms']:g} ms)")
    if bad:
        ax.scatter(*zip(*bad), s=40, marker="x", color="red", zorder=4, label=f"failed probe ({len(bad)})")
    ax.hlines([quiet_p99], start - t0, end - t0, colors="black", linewidth=2, zorder=5, label="wrk p99 of each run")
    for s, e, p99 in run["segments"]:
        ax.hlines([p99], s - t0, e - t0, colors="black", linewidth=2, zorder=5)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:g}")  # 0.1, 1, 10 rather than powers of ten
    ax.set_ylabel("request latency (ms, log)")
    ax.set_xlabel("seconds since the quiet run started")
    ax.grid(True, which="major", axis="y", alpha=0.4)


def swap_png(path, run):
    """Latency over time with each swap marked (whole run, then the swaps' window), RSS over swaps.

    run: t0 (monotonic start), probe [(t, ms, ok)], swaps [(t, kind)], quiet (start, end, p99),
    segments [(start, end, p99)], rss [(swaps done, KiB)], rss_before, rss_after, title.
    """
    plt = _pyplot("bench/swap")
    if plt is None:
        return False
    fig, (whole, zoom, mem) = plt.subplots(3, 1, figsize=(12, 12), gridspec_kw={"height_ratios": [3, 3, 2]})
    fig.suptitle(run["title"], fontsize=10)

    _latency_panel(whole, run, 4)
    whole.set_xlim(left=0)
    whole.legend(loc="upper left", fontsize=8, framealpha=0.9)
    whole.set_title(f"request latency under wrk -t1 -c{run['connections']} load: the whole run", fontsize=10)

    _latency_panel(zoom, run, 12)
    if run["swaps"]:
        first, last = run["swaps"][0][0] - run["t0"], run["swaps"][-1][0] - run["t0"]
        margin = max(0.05, (last - first) * 0.05)
        zoom.set_xlim(first - margin, last + margin)
    zoom.set_title("the same, from the first swap to the last", fontsize=10)

    if run["rss"]:
        xs, ys = zip(*run["rss"])
        mem.plot(xs, [y / 1024 for y in ys], color="tab:purple", linewidth=1.2, label="after each swap")
    mem.axhline(run["rss_before"] / 1024, color="0.5", linestyle="--", linewidth=1, label="before the swaps")
    mem.scatter([run["swaps_done"]], [run["rss_after"] / 1024], color="black", zorder=3,
                label="after the last drain")
    mem.set_xlabel("swaps done")
    mem.set_ylabel("host RSS (MiB)")
    mem.set_xlim(left=0)
    mem.grid(True, alpha=0.4)
    mem.legend(loc="lower right", fontsize=8)
    mem.set_title("host resident memory over swaps", fontsize=10)

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def throughput_png(path, run):
    """Bars per raced peer: median req/s and CPU per 100k requests, the ratio to the baseline on each."""
    plt = _pyplot("bench/throughput")
    if plt is None:
        return False
    berth, beast, msgpack = run["berth"], run["beast"], run["msgpack"]
    rounds = len(beast["rps"])

    def per_round(a, b, key):
        return lower_median([x / y for x, y in zip(a[key], b[key]) if y > 0])

    names = ["bare Beast\n(baseline)", "Berth\nJSON", "Berth\nMessagePack"]
    colours = ["0.6", "tab:blue", "tab:cyan"]
    # Berth's ratios are the ones the script printed; MessagePack's to Beast is new here.
    rps_labels = ["baseline", f"{run['ratio']}x Beast",
                  f"{per_round(msgpack, beast, 'rps'):.3f}x Beast\n{run['msgpack_ratio']}x JSON"]
    cpu_labels = ["baseline", f"{run['cpu_ratio']}x Beast", f"{per_round(msgpack, beast, 'cpu'):.3f}x Beast"]
    series = [beast, berth, msgpack]
    if "process" in run:  # the same module in a worker process (issue 11): its ratio to in-process
        series.append(run["process"])
        names.append("Berth\nprocess")
        colours.append("tab:purple")
        rps_labels.append(f"{run['process_ratio']}x in-process")
        cpu_labels.append(f"{run['process_cpu_ratio']}x in-process")

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5))
    fig.suptitle(run["title"], fontsize=10)
    for ax, key, unit, labels, fmt in ((axes[0], "rps", "requests/s", rps_labels, "{:,.0f}"),
                                       (axes[1], "cpu", "CPU-seconds per 100k requests", cpu_labels, "{:.3f} s")):
        peers = [peer[key] for peer in series]
        medians = [lower_median(v) for v in peers]
        bars = ax.bar(range(len(peers)), medians, color=colours, width=0.6)
        for i, values in enumerate(peers):
            ax.scatter([i] * len(values), values, color="black", s=12, zorder=3,
                       label=f"one round (of {rounds})" if i == 0 else None)
        top = max(max(v) for v in peers if v) if any(peers) else 1
        for bar, text, median in zip(bars, labels, medians):
            middle = bar.get_x() + bar.get_width() / 2
            ax.text(middle, top * 1.03, text, ha="center", va="bottom", fontsize=9, fontweight="bold")
            ax.text(middle, median / 2, fmt.format(median), ha="center", va="center", fontsize=9,
                    color="white", fontweight="bold")
        ax.set_ylim(0, top * 1.35)
        ax.set_xticks(range(len(peers)), names)
        ax.set_ylabel(f"{unit} (bar: median)")
        ax.grid(True, axis="y", alpha=0.4)
        ax.legend(loc="upper left", fontsize=8)
    axes[0].set_title("throughput (higher is better)", fontsize=10)
    axes[1].set_title("CPU per request (lower is better)", fontsize=10)
    fig.text(0.5, 0.01, "bar: median of the rounds; ratio: median of the per-round ratios "
             "(as printed by bench/throughput)", ha="center", fontsize=8, color="0.3")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv):
    draw = {"throughput": throughput_png, "swap": swap_png}
    if len(argv) != 3 or argv[1] not in draw:
        print("usage: plots.py throughput|swap RESULTS.json  (draws RESULTS.png beside it)", file=sys.stderr)
        return 2
    png = os.path.splitext(argv[2])[0] + ".png"
    try:
        with open(argv[2]) as f:
            run = json.load(f)
        if draw[argv[1]](png, run):
            print(f"picture: {png}")
    except Exception as e:  # a picture is a by-product: its failure never fails the benchmark
        print(f"bench/{argv[1]}: no picture: {e}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
