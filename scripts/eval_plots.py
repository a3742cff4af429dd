#!/usr/bin/python3
"""Plots of a `headstart eval` run (its turns.jsonl), as PNG.

  /usr/bin/python3 scripts/eval_plots.py RUN_DIR [--out DIR] [--title TEXT]

writes
  DIR/latency_distributions.png   per latency profile: when the first word is shown, per system
                                  (box + every turn as a dot), and how fast each μLM's opener is ready
  DIR/masked_vs_cloud.png         per turn: masked latency and stall against the cloud's first-token
                                  time; on the diagonal the whole cloud wait is hidden (at most 600
                                  turns a system drawn, every k-th)
  DIR/by_set.png                  per prompt set (summary.json's "sets"): the on-topic share and the
                                  correction paths of each system, μLMs by size
The numbers come from the run only (nothing is recomputed but percentiles for the boxes).
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PROFILE_ORDER = ["none", "wifi", "lte", "congested", "satellite", "server-default"]
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]


def save(fig, out, name, title):
    """Titles, lays out and writes the figure as out/name; returns the path."""
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = os.path.join(out, name)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def load(run_dir):
    rows = []
    with open(os.path.join(run_dir, "turns.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def systems_of(rows):
    order = {"mulm": 0, "canned": 1, "oracle": 2, "cloud-only": 3}
    names = sorted({(order.get(r["kind"], 3), r["system"]) for r in rows})
    return [n for _, n in names]


def profiles_of(rows):
    seen = {r["profile"] for r in rows}
    return [p for p in PROFILE_ORDER if p in seen] + sorted(seen - set(PROFILE_ORDER))


def latency_distributions(rows, out, title):
    systems, profiles = systems_of(rows), profiles_of(rows)
    mulms = [s for s in systems if any(r["system"] == s and r["kind"] == "mulm" for r in rows)]
    ncols = len(profiles) + (1 if mulms else 0)
    fig, axes = plt.subplots(1, ncols, figsize=(3.6 * ncols + 0.6, 4.2), squeeze=False)
    axes = axes[0]
    for ax, profile in zip(axes, profiles):
        data = []
        for s in systems:
            v = [r["metrics"]["perceived_first_word_ms"] for r in rows
                 if r["system"] == s and r["profile"] == profile and not r["cloud_failed"]
                 and r["metrics"]["perceived_first_word_ms"] is not None]
            data.append(v)
        ax.boxplot([d if d else [float("nan")] for d in data], showfliers=False, widths=0.55)
        for i, d in enumerate(data):
            d = d[::max(1, len(d) // 400)]
            jitter = [(i + 1) + 0.18 * (((k * 7919) % 13) / 12 - 0.5) for k in range(len(d))]
            ax.scatter(jitter, d, s=9, alpha=0.6, color=COLORS[i % len(COLORS)], zorder=3)
        ax.set_xticks(range(1, len(systems) + 1))
        ax.set_xticklabels(systems, rotation=30, ha="right", fontsize=8)
        ax.set_title(f"first word shown — {profile}", fontsize=10)
        ax.set_ylabel("ms after the question")
        ax.set_yscale("symlog", linthresh=10)
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
    if mulms:
        ax = axes[-1]
        for i, s in enumerate(mulms):
            v = sorted(r["metrics"]["handoff_ms"] for r in rows if r["system"] == s and r["metrics"]["handoff_ms"] is not None)
            if not v:
                continue
            ax.step(v, [(k + 1) / len(v) for k in range(len(v))], where="post", label=s, color=COLORS[i % len(COLORS)])
        ax.set_xlabel("opener ready (ms after the question)")
        ax.set_ylabel("share of turns")
        ax.set_title("μLM opener latency (ECDF)", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save(fig, out, "latency_distributions.png", title)


def masked_vs_cloud(rows, out, title):
    systems = [s for s in systems_of(rows) if any(r["system"] == s and r["kind"] != "cloud-only" for r in rows)]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.6))
    top = 1.0
    for i, s in enumerate(systems):
        pts = [(r["metrics"]["cloud_ttft_ms"], r["metrics"]["masked_ms"], r["metrics"]["stall_ms"]) for r in rows
               if r["system"] == s and not r["cloud_failed"] and r["metrics"]["cloud_ttft_ms"] is not None]
        if not pts:
            continue
        pts = pts[::max(1, len(pts) // 600)]
        x = [p[0] for p in pts]
        top = max(top, max(x))
        ax1.scatter(x, [p[1] for p in pts], s=14, alpha=0.7, label=s, color=COLORS[i % len(COLORS)])
        ax2.scatter(x, [p[2] for p in pts], s=14, alpha=0.7, label=s, color=COLORS[i % len(COLORS)])
    ax1.plot([0, top], [0, top], color="gray", linestyle="--", linewidth=1, label="all of it hidden")
    ax1.set_xlabel("cloud time to first token (ms)")
    ax1.set_ylabel("masked latency (ms)")
    ax1.set_title("cloud wait hidden behind the opener", fontsize=10)
    ax2.set_xlabel("cloud time to first token (ms)")
    ax2.set_ylabel("stall at the handoff (ms)")
    ax2.set_title("silence the user still sees", fontsize=10)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    return save(fig, out, "masked_vs_cloud.png", title)


PATH_COLORS = {"continue": "#2ca02c", "pivot": "#1f77b4", "rewrite": "#d62728", "gate": "#ff7f0e",
               "gate+pivot": "#9467bd", "gate+rewrite": "#8c564b", "no-reference": "#c7c7c7", "failed": "#000000"}


def by_set(summary, out, title):
    """On topic and paths per prompt set and system; None when the run has one set."""
    sets = summary.get("sets") or {}
    if len(sets) < 2:
        return None
    names = list(sets)

    def order(name):
        sj = summary["systems"][name]
        kind = {"mulm": 0, "canned": 1, "oracle": 2}.get(sj["kind"], 3)
        return (kind, sj.get("parameters") or 0, name)

    systems = sorted((n for n in summary["systems"] if summary["systems"][n]["kind"] != "cloud-only"), key=order)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(max(9, 1.7 * len(names) * len(systems) / 3 + 3), 8.4))
    width = 0.8 / len(systems)
    for i, sysname in enumerate(systems):
        xs, ys, lo, hi = [], [], [], []
        for k, set_name in enumerate(names):
            sj = sets[set_name]["systems"].get(sysname)
            if not sj or sj["turns"] == 0 or sj["on_topic"]["n"] == 0:
                continue
            p = sj["on_topic"]
            xs.append(k + (i - (len(systems) - 1) / 2) * width)
            ys.append(100 * p["p"])
            lo.append(max(0.0, 100 * (p["p"] - p["ci95"][0])))
            hi.append(max(0.0, 100 * (p["ci95"][1] - p["p"])))
        ax1.bar(xs, ys, width * 0.95, yerr=[lo, hi], capsize=2, label=sysname, color=COLORS[i % len(COLORS)])
    ax1.set_xticks(range(len(names)))
    ax1.set_xticklabels(names)
    ax1.set_ylabel("on topic (% of openers, 95% CI)")
    ax1.set_ylim(0, 118)
    ax1.set_yticks(range(0, 101, 20))
    ax1.set_title("the opener shares a content word with the question (or is generic)", fontsize=10)
    ax1.legend(fontsize=8, ncol=len(systems), loc="upper center")
    ax1.grid(axis="y", alpha=0.3)
    labels, seen = [], set()
    for set_name in names:
        for sysname in systems:
            for p in sets[set_name]["systems"].get(sysname, {}).get("paths", []):
                if p["label"] not in seen:
                    seen.add(p["label"])
                    labels.append(p["label"])
    ticks, ticklabels, x = [], [], 0
    bottoms = {}
    for k, set_name in enumerate(names):
        for sysname in systems:
            sj = sets[set_name]["systems"].get(sysname)
            if not sj or sj["turns"] == 0:
                continue
            share = {p["label"]: 100 * p["p"] for p in sj["paths"]}
            bottom = 0
            for label in labels:
                v = share.get(label, 0)
                if v:
                    ax2.bar(x, v, 0.85, bottom=bottom, color=PATH_COLORS.get(label, "#7f7f7f"),
                            label=label if label not in bottoms else None)
                    bottoms[label] = True
                    bottom += v
            ticks.append(x)
            ticklabels.append(f"{set_name}\n{sysname}")
            x += 1
        x += 0.7
    ax2.set_xticks(ticks)
    ax2.set_xticklabels(ticklabels, rotation=90, fontsize=6)
    ax2.set_ylabel("% of turns (every profile)")
    ax2.set_ylim(0, 118)
    ax2.set_yticks(range(0, 101, 20))
    ax2.set_title("correction paths (no-reference: the offline cloud had no answer for the question)", fontsize=10)
    ax2.legend(fontsize=7, ncol=len(labels), loc="upper center")
    return save(fig, out, "by_set.png", title)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", help="a `headstart eval --out` folder")
    p.add_argument("--out", help="where the PNGs go (default: the run folder)")
    p.add_argument("--title", default="", help="figure title (say which models and prompts)")
    args = p.parse_args()
    rows = load(args.run)
    if not rows:
        sys.exit("eval_plots: no turns in " + args.run)
    out = args.out or args.run
    os.makedirs(out, exist_ok=True)
    paths = [latency_distributions(rows, out, args.title), masked_vs_cloud(rows, out, args.title)]
    summary_path = os.path.join(args.run, "summary.json")
    if os.path.exists(summary_path):
        paths.append(by_set(json.load(open(summary_path, encoding="utf-8")), out, args.title))
    for path in paths:
        if path:
            print("eval_plots: " + path)


if __name__ == "__main__":
    main()
