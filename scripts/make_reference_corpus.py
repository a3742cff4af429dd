#!/usr/bin/python3
"""Builds the offline cloud's reference corpus: assets/reference/answers.jsonl.gz.

  /usr/bin/python3 scripts/make_reference_corpus.py [--data ../shared/data] [--out assets/reference]

One line per question, {"q": question, "a": the best reference answer (Markdown emphasis and heading marks
removed: it is shown as plain text or spoken), "src": file}: single-turn
questions from the benchmark sets with GPT-4-class references (eval/: Vicuna-bench, MT-bench turn 1,
AlpacaEval public part, Arena-Hard) and the first exchange of the training conversations whose replies
are answers (train/chat, train/chat_extra: GPT-4 and human replies first, then Dolly, then Alpaca).
When a question occurs more than once (lower-cased, punctuation stripped) the earlier source in SOURCES
wins. The bytes are the same every run (sorted input, gzip mtime 0). headstart-cloud only *answers* from
it (cloud/reference_corpus.h); nothing here is trained on.
"""
import argparse
import gzip
import io
import json
import os
import re

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# (path under the data folder, kind, license) — best answers first.
SOURCES = [
    ("eval/vicuna_bench.jsonl", "eval", "Apache-2.0 (FastChat); answers are gpt-4o outputs (OpenAI terms)"),
    ("eval/mt_bench.jsonl", "eval", "Apache-2.0 (FastChat); answers are GPT-4 outputs (OpenAI terms)"),
    ("eval/alpaca_eval.jsonl", "eval", "CC BY-NC 4.0 (AlpacaEval); answers are GPT-4 outputs (OpenAI terms)"),
    ("eval/arena_hard.jsonl", "eval", "Apache-2.0 (arena-hard-auto); answers are GPT-4 outputs (OpenAI terms)"),
    ("train/chat/alpaca_gpt4_sample.jsonl.gz", "chat", "CC BY-NC 4.0; GPT-4 outputs (OpenAI terms)"),
    ("train/chat/arena_prompts_gpt4.jsonl.gz", "chat", "Apache-2.0; GPT-4 outputs (OpenAI terms)"),
    ("train/chat/lima.jsonl.gz", "chat", "CC BY-NC-SA 4.0 (LIMA), or the source's stricter license"),
    ("train/chat/oasst_human.jsonl.gz", "chat", "Apache-2.0 (OpenAssistant)"),
    ("train/chat/self_instruct_human.jsonl.gz", "chat", "Apache-2.0 (self-instruct)"),
    ("train/chat_extra/dolly15k.jsonl.gz", "chat", "CC BY-SA 3.0 (databricks-dolly-15k)"),
    ("train/chat/alpaca_cleaned.jsonl.gz", "chat", "CC BY-NC 4.0 (Stanford Alpaca); text-davinci-003 outputs (OpenAI terms)"),
]
MIN_ANSWER_WORDS = 12
MAX_QUESTION_CHARS = 1200
MAX_ANSWER_CHARS = 6000


def plain(text):
    """Markdown emphasis and heading marks out: the answer is shown as plain text or spoken."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"__(.+?)__", r"\1", text)
    text = re.sub(r"(?m)^#{1,6}[ \t]+", "", text)
    return text


def key(question):
    return re.sub(r"[^a-z0-9 ]+", "", re.sub(r"\s+", " ", question.lower())).strip()


def rows(path, kind):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            if kind == "eval":
                q, a = d.get("prompt"), d.get("reference")
            else:
                m = d.get("messages") or []
                if len(m) < 2 or m[0].get("role") != "user" or m[1].get("role") != "assistant":
                    continue
                q, a = m[0].get("content"), m[1].get("content")
            if isinstance(q, str) and isinstance(a, str):
                yield q.strip(), a.strip()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    p.add_argument("--out", default=os.path.join(ROOT, "assets", "reference"))
    a = p.parse_args()
    seen, out, counts = set(), [], {}
    for rel, kind, _license in SOURCES:
        n = 0
        for q, ans in rows(os.path.join(a.data, rel), kind):
            k = key(q)
            if not k or k in seen or len(q) > MAX_QUESTION_CHARS or len(ans.split()) < MIN_ANSWER_WORDS:
                continue
            seen.add(k)
            out.append({"q": q, "a": plain(ans)[:MAX_ANSWER_CHARS], "src": os.path.basename(rel).split(".")[0]})
            n += 1
        counts[rel] = n
    os.makedirs(a.out, exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as g:
        for r in out:
            g.write((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8"))
    path = os.path.join(a.out, "answers.jsonl.gz")
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    lines = ["# The offline cloud's reference answers", "",
             "`answers.jsonl.gz`: one line per question, `{\"q\", \"a\", \"src\"}` — what the embedded `headstart-cloud`",
             "continues openers from (`--continuator reference`, `cloud/reference_corpus.h`). Built by",
             "`scripts/make_reference_corpus.py` from `../shared/data` (the same bytes every run); a question that occurs",
             "in several sources keeps the first source's answer. Never trained on.", "",
             "| source | questions | license |", "| --- | --- | --- |"]
    for rel, _kind, lic in SOURCES:
        lines.append(f"| `{rel}` | {counts[rel]:,} | {lic} |")
    lines += ["", f"Total: {len(out):,} questions, {os.path.getsize(path) / 1e6:.1f} MB. Several licenses are "
              "non-commercial (research use); the references are model outputs whose providers' terms apply."]
    with open(os.path.join(a.out, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}: {len(out):,} questions, {os.path.getsize(path) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
