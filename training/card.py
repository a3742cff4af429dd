#!/usr/bin/python3
"""Model cards a reader can look at: assets/models/README.md and docs/training-loss.png.

  /usr/bin/python3 training/card.py [--models assets/models] [--runs training/runs]
                                    [--eval build/eval-quality] [--docs docs]

Reads every exported card (`<models>/mulm-*-int8.json`, written by export.py), the committed training
history of each size (`<runs>/<size>/segments.csv`, `log.csv`) and, when given, a `headstart eval` output
folder (summary.json + turns.jsonl, the quality run of scripts/eval). Writes:
  <models>/README.md        one card per model: size, config, tokenizer, data and licenses, every
                            training segment (tokens, wall time, tokens/s, held-out losses), eval
                            figures, the first greedy openers on Vicuna-bench
  <models>/mulm-*-int8.json the same eval figures under "evaluation" (machine-readable)
  <models>/models.json      the ranking every program takes its default μLM from (native/model_files.h,
                            the web page's list): by the share of Vicuna-bench openers whose μLM words
                            share a content word with the question, then the reference opener's
                            log-likelihood; models without figures after those with, smallest first
  <docs>/training-loss.png  held-out reply loss over tokens seen, every size, segments marked
"""
import argparse
import csv
import glob
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def size_of(card):
    m = re.match(r"mulm-(\w+?)-int8", card["name"])
    return m.group(1) if m else card["name"]


def eval_figures(eval_dir, model_file):
    """The summary.json entry of the system whose model is model_file, per prompt set when the run was
    split by set (summary.json of one set per sub-folder), else the whole run."""
    out = {}
    for summary_path in sorted(glob.glob(os.path.join(eval_dir, "**", "summary.json"), recursive=True)):
        s = json.load(open(summary_path, encoding="utf-8"))
        label = os.path.relpath(os.path.dirname(summary_path), eval_dir)
        label = ",".join(os.path.splitext(os.path.basename(p))[0] for p in s.get("prompt_sets", [])) or label
        for name, sys_ in s.get("systems", {}).items():
            if os.path.basename(sys_.get("model", "")) != model_file:
                continue
            mt = sys_.get("mulm_text") or {}
            held = sys_.get("heldout") or {}
            ref = sys_.get("reference_opener") or {}
            lat = sys_.get("opener_latency_ms", {})
            out[label] = {
                "prompts": s.get("prompts"),
                "temperature": s.get("temperature"),
                "mulm_shares_content_word": (mt.get("shares_content_word") or {}).get("p"),
                "mulm_shares_content_word_count": [(mt.get("shares_content_word") or {}).get("count"),
                                                   (mt.get("shares_content_word") or {}).get("n")],
                "mulm_generic": mt.get("generic"),
                "mulm_distinct_1": mt.get("distinct_1"), "mulm_distinct_2": mt.get("distinct_2"),
                "shown_shares_content_word": (sys_.get("shares_content_word") or {}).get("p"),
                "heldout_reply_perplexity": held.get("reply_perplexity"),
                "heldout_reply_tokens": held.get("reply_tokens"),
                "heldout_all_perplexity": held.get("perplexity"),
                "reference_opener_log_likelihood": ref.get("mean_log_likelihood"),
                "reference_opener_prompts": ref.get("prompts"),
                "local_ttft_p50_ms": (lat.get("local_ttft") or {}).get("p50"),
                "time_to_4_words_p50_ms": (lat.get("time_to_4_words") or {}).get("p50"),
            }
    return out


def sample_openers(eval_dir, model_file, set_name="vicuna_bench", n=20):
    """The first n turns of the model on one prompt set (the quality run: one profile, greedy)."""
    rows, seen = [], set()
    stem = os.path.splitext(model_file)[0]
    path = os.path.join(eval_dir, set_name, "turns.jsonl")
    if not os.path.exists(path):
        return rows
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        if r.get("system") != stem or r.get("prompt_id") in seen:
            continue
        seen.add(r.get("prompt_id"))
        rows.append(r)
    rows.sort(key=lambda r: str(r.get("prompt_id", "")))
    return [{"prompt_id": r.get("prompt_id"), "question": r.get("question"), "mulm_text": r.get("mulm_text"),
             "opener": r.get("opener")} for r in rows[:n]]


def pct(p):
    return "—" if p is None else f"{100 * p:.0f} %"


def num(v, d=2):
    return "—" if v is None else f"{v:.{d}f}"


def plot(runs_dir, out_png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for run in sorted(glob.glob(os.path.join(runs_dir, "*", "log.csv"))):
        size = os.path.basename(os.path.dirname(run))
        rows = [r for r in read_csv(run) if r.get("val_sft_loss")]
        if not rows:
            continue
        xs = [int(r["tokens_seen"] or 0) / 1e6 for r in rows]
        for key, style, label in (("val_sft_loss", "o-", "whole replies"), ("val_opener_loss", "s--", "first 16 reply tokens")):
            ys = [float(r[key]) for r in rows if r.get(key)]
            if ys:
                ax.plot(xs[:len(ys)], ys, style, ms=3, label=f"{size}: {label}")
        segs = read_csv(os.path.join(os.path.dirname(run), "segments.csv"))
        total = 0
        for sg in segs[:-1]:
            total += int(sg["tokens"])
            ax.axvline(total / 1e6, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("tokens seen (millions, all segments)")
    ax.set_ylabel("held-out reply loss (nats/token)")
    ax.set_title("μLM training: held-out loss across sessions (dotted: segment boundaries)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


RANK_SET = "vicuna_bench"


def ranking(cards):
    """[{file, name, ...figures}] best first (see the module docstring)."""
    def key(card):
        fig = (card.get("evaluation") or {}).get(RANK_SET) or {}
        share, ll = fig.get("mulm_shares_content_word"), fig.get("reference_opener_log_likelihood")
        if share is None:
            return (1, 0.0, 0.0, card.get("parameters", 0))
        return (0, -share, -(ll if ll is not None else -1e9), card.get("parameters", 0))
    out = []
    for card in sorted(cards, key=key):
        fig = (card.get("evaluation") or {}).get(RANK_SET) or {}
        out.append({"file": card["file"], "name": card["name"], "parameters": card.get("parameters"),
                    "vicuna_mulm_shares_content_word": fig.get("mulm_shares_content_word"),
                    "vicuna_reference_opener_log_likelihood": fig.get("reference_opener_log_likelihood")})
    return out


def card_markdown(card, segments, figures, openers):
    t = card["training"]
    a = card["architecture"]
    size = size_of(card)
    lines = [f"## {card['name']}", ""]
    lines += [f"- **Parameters**: {card['parameters']:,} ({a['n_layers']} layers, d_model {a['d_model']}, "
              f"{a['n_heads']} heads / {a['n_kv_heads']} kv heads, ffn {a['ffn_dim']}, context {a['context_length']}, "
              f"tied embeddings); config `training/configs/{card['config']}.json`",
              f"- **File**: `{card['file']}`, {card['file_size_bytes'] / 1e6:.1f} MB ({card['format']}; "
              f"{(card.get('quantization') or {}).get('scheme', 'fp32')}), sha256 `{card['sha256'][:16]}…`",
              f"- **Tokenizer**: `{card['tokenizer']['file']}`, {card['tokenizer']['type']}, vocabulary "
              f"{card['tokenizer']['vocab_size']}, ChatML (`<|im_start|>` / `<|im_end|>`, no BOS)",
              f"- **Trained**: {t.get('tokens_seen_all_segments', 0) / 1e6:.1f}M tokens in "
              f"{t.get('wall_seconds_all_segments', 0) / 3600:.2f} h over {len(segments)} segment(s), "
              f"{t.get('precision') or 'fp32'}, resume point `training/runs/{size}/resume.pt`",
              f"- **Held-out loss** (2 % of `train/`, never trained on): whole replies "
              f"{num((t.get('heldout') or {}).get('sft', {}).get('loss'), 3)} (ppl "
              f"{num((t.get('heldout') or {}).get('sft', {}).get('perplexity'), 1)}), first 16 reply tokens "
              f"{num((t.get('heldout') or {}).get('opener', {}).get('loss'), 3)}; int8 weights: "
              f"{num(((t.get('heldout_int8_weights') or {}).get('sft') or {}).get('loss'), 3)}", ""]
    lines += ["| segment | started | device | steps | tokens | wall | tokens/s | train loss | held-out replies | "
              "held-out first 16 | opener share | prompt weight | batch × seq | lr |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for sg in segments:
        lines.append(f"| {sg['segment']} | {sg['started']} | {sg['device']} {sg['precision']} | {sg['steps']} | "
                     f"{int(sg['tokens']) / 1e6:.2f}M | {float(sg['wall_s']) / 60:.0f} min | {float(sg['tokens_per_s']):,.0f} | "
                     f"{sg.get('train_loss', '')} | {sg.get('val_sft_loss', '')} | {sg.get('val_opener_loss', '')} | "
                     f"{sg.get('opener_frac', '')} | {sg.get('prompt_weight', '')} | {sg.get('batch', '')} × {sg.get('seq_len', '')} | "
                     f"{sg.get('sft_lr', '')} |")
    lines.append("")
    if figures:
        lines += ["Evaluation (`headstart eval`, greedy, `scripts/eval --quality`):", "",
                  "| prompt set | prompts | μLM words share a content word | generic | distinct-1 / -2 | "
                  "held-out reply ppl | reference opener log-lik / token | local TTFT p50 | 4 words p50 |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for label, f in figures.items():
            c = f["mulm_shares_content_word_count"]
            lines.append(f"| {label} | {f['prompts']} | {pct(f['mulm_shares_content_word'])} ({c[0]}/{c[1]}) | "
                         f"{f['mulm_generic']} | {num(f['mulm_distinct_1'])} / {num(f['mulm_distinct_2'])} | "
                         f"{num(f['heldout_reply_perplexity'], 1)} | {num(f['reference_opener_log_likelihood'], 3)} | "
                         f"{num(f['local_ttft_p50_ms'], 1)} ms | {num(f['time_to_4_words_p50_ms'], 1)} ms |")
        lines.append("")
    if openers:
        lines += ["Greedy openers (the μLM's own words before the confidence gate) on the first Vicuna-bench questions:", ""]
        for r in openers:
            lines.append(f"- *{r['question']}* → “{r.get('mulm_text', r.get('opener'))}”")
        lines.append("")
    srcs = t.get("data_sources") or []
    lines += ["Training data (`../shared/data/train`, mix `training/mix/" + (segments[-1].get("mix") if segments else "") +
              "`: weight = repeat count):", "", "| file | examples | weight | license |", "| --- | --- | --- | --- |"]
    for s in srcs:
        lines.append(f"| `{s['file']}` | {s['examples']:,} | {s['weight']} | {s['license']} |")
    lines += ["", "Several sources are non-commercial (CC BY-NC / BY-NC-SA) or model outputs under their provider's "
              "terms: the μLM is a research artefact.", ""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=os.path.join(ROOT, "assets", "models"))
    p.add_argument("--runs", default=os.path.join(ROOT, "training", "runs"))
    p.add_argument("--eval", help="headstart eval output folder (the quality run)")
    p.add_argument("--docs", default=os.path.join(ROOT, "docs"))
    a = p.parse_args()
    cards = [json.load(open(path, encoding="utf-8")) for path in sorted(glob.glob(os.path.join(a.models, "mulm-*-int8.json")))]
    order = {"8m": 0, "16m": 1, "28m": 2}
    cards.sort(key=lambda c: order.get(size_of(c), 9))
    parts = ["# The μLMs", "",
             "Trained here by `training/` on `../shared/data/train` only (never `eval/`), exported by `training/export.py`, "
             "carded by `training/card.py`. Training continues across sessions from `training/runs/<size>/resume.pt`; "
             "the loss over all segments: [docs/training-loss.png](../../docs/training-loss.png).", ""]
    for card in cards:
        size = size_of(card)
        segments = read_csv(os.path.join(a.runs, size, "segments.csv"))
        # the segments the shipped weights saw: a later segment can be kept out of assets/ when its weights
        # evaluated worse (it stays in the resume point's history)
        shipped = len((card.get("training") or {}).get("segments") or segments)
        later, segments = segments[shipped:], segments[:shipped]
        figures = eval_figures(a.eval, card["file"]) if a.eval else {}
        openers = sample_openers(a.eval, card["file"]) if a.eval else []
        if figures:
            card["evaluation"] = figures
            card["vicuna_openers"] = openers
            with open(os.path.join(a.models, card["name"] + ".json"), "w", encoding="utf-8") as f:
                json.dump(card, f, indent=1, ensure_ascii=False)
                f.write("\n")
        else:  # no new run: the figures the card already holds
            figures, openers = card.get("evaluation") or {}, card.get("vicuna_openers") or []
        parts.append(card_markdown(card, segments, figures, openers))
        for sg in later:
            parts.append(f"Segment {sg['segment']} ({int(sg['tokens']) / 1e6:.2f}M more tokens, held-out replies "
                         f"{sg.get('val_sft_loss', '')}, first 16 {sg.get('val_opener_loss', '')}) is in the resume point, "
                         "not in this file: its exported weights evaluated worse on the openers (commit log).\n")
    ranked = ranking(cards)
    with open(os.path.join(a.models, "models.json"), "w", encoding="utf-8") as f:
        json.dump({"ranked_by": f"{RANK_SET}: share of the μLM's openers with a content word of the question, "
                                "then the reference opener's mean log-likelihood per token (scripts/eval --quality)",
                   "ranking": ranked}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    if ranked:
        parts.insert(4, f"**Default** (ranked first by the evaluation, `models.json`): `{ranked[0]['file']}`.\n")
    with open(os.path.join(a.models, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(parts))
    os.makedirs(a.docs, exist_ok=True)
    plot(a.runs, os.path.join(a.docs, "training-loss.png"))
    print(f"wrote {os.path.join(a.models, 'README.md')} ({len(cards)} models) and {os.path.join(a.docs, 'training-loss.png')}")


if __name__ == "__main__":
    main()
