#!/usr/bin/python3
"""Data prep: source files -> examples -> ChatML text -> token id shards.

Map of this file:
  find_sources()       the files under a data folder (README*/LICENSE* are read, not trained on)
  record_to_example()  one JSON record -> Example, for each schema we know (see SCHEMAS below)
  render()             Example -> ChatML segments (text, is_assistant_reply)
  is_heldout()         deterministic split from a hash of the rendered example
  encode_example()     tokens + loss mask (1 on assistant reply tokens and their <|im_end|>)
  prepare()            the whole step: writes shards + manifest.json into an output folder
  training_texts()     rendered train-split texts for tokenizer training (train_tokenizer.py)

Schemas (one JSON object per line in .jsonl, or a list of them in .json; .gz allowed):
  {"messages": [{"role": "user"|"assistant"|"system", "content": ...}, ...]}    (also "conversations",
      ShareGPT's {"from": "human"|"gpt"|"system", "value": ...})
  {"instruction": ..., "input": ..., "output": ...}      (input optional; joined below the instruction)
  {"prompt": ..., "response"|"completion"|"output": ...}
  {"question": ..., "answer": ...}
  {"text": ...}                                          plain prose
  .txt / .md files                                       plain prose, cut into ~4000-character documents

ChatML: every message is `<|im_start|>{role}\\n{content}<|im_end|>\\n`; every document (conversation or
prose chunk) ends with `<|endoftext|>`. There is no BOS token. The model is prompted at run time with
`<|im_start|>user\\n{question}<|im_end|>\\n<|im_start|>assistant\\n`.

The mix (documented in manifest.json): every source has a weight, 1.0 unless `--mix mix.json` says
otherwise ({"glob pattern": weight}, matched against the path relative to the data folder). A weight is
a repeat count: 2.0 = every example twice (the copy a whole pass later), 0.5 = the half of the examples
whose hash is lowest. The key "@off_topic_opener" multiplies the weight of every conversation whose
first reply opens (first 8 words) without a content word of its question (training/topic.py, the twin of
the evaluation's on-topic test), e.g. 0.35 keeps about a third of "Sure! Here is…" openers; "@opener_words"
(default 8) sets how many words that test reads: 5 matches the opener the app shows under `lte`.
Two streams are written:
  pretrain/  every example of every source (loss on all tokens)
  sft/       chat examples only, with a loss mask (loss on assistant replies only) and document starts
Each stream has `train_NNN.bin` / `val_NNN.bin` (uint16 token ids, raw), `*.mask.bin` (uint8, 1 = the
token is part of an assistant reply) and `*.starts.npy` (int64 offsets of each document's first token).
The held-out split takes an example when sha1(rendered text) falls under --heldout (default 2%);
exact duplicates are dropped, so a duplicate can never sit on both sides of the split.
"""
import argparse
import fnmatch
import gzip
import hashlib
import itertools
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tokenizer import Tokenizer  # noqa: E402
from topic import opener_restates_question  # noqa: E402

DOC_CHARS = 4000                   # prose files are cut into documents of about this size
SHARD_TOKENS = 1 << 26             # 64M tokens (128 MB) per shard
TEXT_EXTENSIONS = (".jsonl", ".json", ".txt", ".md")
EVAL_DIRS = ("eval",)              # folder names that hold evaluation sets: never read as training data
NOT_DATA = ("readme", "license", "licence", "copying", "changelog", "notice")


@dataclass
class Example:
    """Either a conversation (turns = [(role, content)]) or plain prose (text)."""
    source: str
    turns: list = field(default_factory=list)
    text: str = ""

    @property
    def is_chat(self):
        return bool(self.turns)


# ----------------------------------------------------------------------------------------------
# reading sources

def missing_data_message(path):
    return (f"data folder {path!r} does not exist.\n"
            "The real μLMs train on ../shared/data (a folder of .jsonl/.json/.txt files, see training/README.md).\n"
            "For a quick check use the fixture corpus: --data training/fixtures/tiny_corpus.jsonl")


def find_sources(paths):
    """Data files under the given folders/files, sorted; README/LICENSE files are excluded."""
    files = []
    for path in paths:
        if not os.path.exists(path):
            raise SystemExit(missing_data_message(path))
        if any(part.lower() in EVAL_DIRS for part in os.path.normpath(os.path.abspath(path)).split(os.sep)):
            raise SystemExit(f"{path} is under an evaluation folder: evaluation sets are never training data")
        if os.path.isfile(path):
            files.append(path)
            continue
        for root, dirs, names in os.walk(path):
            # evaluation sets are never training data (../shared/data/eval: prompts and references)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d.lower() not in EVAL_DIRS)
            for name in sorted(names):
                base = name[:-3] if name.endswith(".gz") else name
                if name.startswith(".") or not base.lower().endswith(TEXT_EXTENSIONS):
                    continue
                if base.lower().startswith(NOT_DATA):
                    continue
                files.append(os.path.join(root, name))
    if not files:
        raise SystemExit(f"no data files (.jsonl, .json, .txt, .md) under {paths}")
    return files


def read_readme(path):
    """The data folder's README text ('' if none)."""
    if not os.path.isdir(path):
        return ""
    for name in sorted(os.listdir(path)):
        if name.lower().startswith("readme"):
            with open(os.path.join(path, name), encoding="utf-8", errors="replace") as f:
                return f.read()
    return ""


def license_from_table(lines, filename):
    """The license cell of a Markdown table row whose first cell names the file (`file.jsonl.gz`), read
    under the column headed "license" of that table; None when there is no such row."""
    header = None
    for line in lines:
        if not line.lstrip().startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        low = [c.lower() for c in cells]
        if header is None:
            header = next((i for i, c in enumerate(low) if c.startswith("licen")), -1)
            continue
        if header >= 0 and cells and cells[0].strip("`* ") == filename and header < len(cells):
            return cells[header]
    return None


def license_for(source, readme, overrides):
    """A source's license: --licenses file, else a README line naming the file and a license."""
    rel = source
    for pattern, lic in overrides.items():
        if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(os.path.basename(rel), pattern):
            return lic
    stem = os.path.basename(rel).split(".")[0].lower()
    lines = readme.splitlines()
    table = license_from_table(lines, os.path.basename(rel))
    if table:
        return table
    for line in lines:
        low = line.lower()
        if stem and stem in low and ("licen" in low or "cc-by" in low or "cc0" in low or "mit" in low.split()):
            return line.strip(" -*|#")
    global_lines = [ln.strip(" -*|#") for ln in lines if ln.lower().lstrip(" -*#").startswith(("license", "licence"))]
    if len(global_lines) == 1:
        return global_lines[0]
    return "unknown (see the data folder's README)"


def _open(path):
    return gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8")


def _text(value):
    if value is None:
        return ""
    if isinstance(value, list):  # some datasets store content as a list of parts
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in value)
    return str(value)


ROLE_NAMES = {"user": "user", "human": "user", "prompter": "user", "assistant": "assistant", "gpt": "assistant",
              "bot": "assistant", "model": "assistant", "system": "system"}


def record_to_example(rec, source):
    """One JSON record -> Example, or None when the schema is unknown or the record is empty."""
    if not isinstance(rec, dict):
        return None
    msgs = rec.get("messages") or rec.get("conversations") or rec.get("conversation")
    if isinstance(msgs, list):
        turns = []
        for m in msgs:
            if not isinstance(m, dict):
                return None
            role = ROLE_NAMES.get(str(m.get("role", m.get("from", ""))).lower())
            content = _text(m.get("content", m.get("value"))).strip()
            if role is None:
                return None
            if content:
                turns.append((role, content))
        if any(r == "assistant" for r, _ in turns) and any(r == "user" for r, _ in turns):
            return Example(source, turns=turns)
        return None
    for q_key, a_keys in (("instruction", ("output", "response")), ("prompt", ("response", "completion", "output")),
                          ("question", ("answer", "response"))):
        if q_key in rec:
            answer = next((_text(rec[k]) for k in a_keys if k in rec), "").strip()
            question = _text(rec[q_key]).strip()
            extra = _text(rec.get("input")).strip()
            if extra:
                question = f"{question}\n\n{extra}"
            if question and answer:
                turns = [("user", question), ("assistant", answer)]
                system = _text(rec.get("system")).strip()
                return Example(source, turns=([("system", system)] if system else []) + turns)
            return None
    if "text" in rec:
        text = _text(rec["text"]).strip()
        return Example(source, text=text) if text else None
    return None


def prose_documents(text, source, doc_chars=DOC_CHARS):
    """Cuts prose into documents at paragraph breaks, each about doc_chars long."""
    docs, current, size = [], [], 0
    for para in text.split("\n\n"):
        para = para.strip()
        if not para:
            continue
        if size and size + len(para) > doc_chars:
            docs.append(Example(source, text="\n\n".join(current)))
            current, size = [], 0
        current.append(para)
        size += len(para) + 2
    if current:
        docs.append(Example(source, text="\n\n".join(current)))
    return docs


def read_source(path, rel, stats=None):
    """Yields the Examples of one file; counts skipped records in stats."""
    base = path[:-3] if path.endswith(".gz") else path
    stats = stats if stats is not None else {}
    with _open(path) as f:
        if base.endswith((".txt", ".md")):
            yield from prose_documents(f.read(), rel)
            return
        if base.endswith(".json"):
            blob = json.load(f)
            if isinstance(blob, dict):
                blob = next((v for v in blob.values() if isinstance(v, list)), [blob])
            records = blob
        else:
            records = (line for line in f if line.strip())
        for rec in records:
            if isinstance(rec, str):
                try:
                    rec = json.loads(rec)
                except json.JSONDecodeError:
                    stats["bad_json"] = stats.get("bad_json", 0) + 1
                    continue
            ex = record_to_example(rec, rel)
            if ex is None:
                stats["unknown_schema"] = stats.get("unknown_schema", 0) + 1
                continue
            yield ex


# ----------------------------------------------------------------------------------------------
# rendering, splitting, encoding

def render(ex):
    """Example -> list of (text, is_assistant_reply) segments; their concatenation is the document."""
    if not ex.is_chat:
        return [(ex.text, False), ("<|endoftext|>", False)]
    segs = []
    for role, content in ex.turns:
        if role == "assistant":
            segs += [("<|im_start|>assistant\n", False), (content, True), ("<|im_end|>", True), ("\n", False)]
        else:
            segs.append((f"<|im_start|>{role}\n{content}<|im_end|>\n", False))
    segs.append(("<|endoftext|>", False))
    return segs


def render_text(ex):
    return "".join(t for t, _ in render(ex))


def example_hash(text):
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:12], 16)


def is_heldout(text, heldout):
    return (example_hash(text) % 1_000_000) < heldout * 1_000_000


def encode_example(tok, ex):
    """Token ids and loss mask of one example. Segments are encoded separately: they always meet at a
    special token or a newline before stripped content, so this equals encoding the whole text."""
    ids, mask = [], []
    for text, target in render(ex):
        seg = tok.encode(text)
        ids += seg
        mask += [1 if target else 0] * len(seg)
    return ids, mask


def prompt_text(question):
    """The ChatML prompt the μLM sees at run time."""
    return f"<|im_start|>user\n{question.strip()}<|im_end|>\n<|im_start|>assistant\n"


# ----------------------------------------------------------------------------------------------
# the mix

def load_mix(path):
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        return {str(k): float(v) for k, v in json.load(f).items()}


OFF_TOPIC_KEY = "@off_topic_opener"
OPENER_WORDS_KEY = "@opener_words"  # how many of the reply's first words the off-topic test reads (default 8)


def weight_for(rel, mix):
    for pattern, w in mix.items():
        if pattern.startswith("@"):
            continue
        if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(os.path.basename(rel), pattern):
            return w
    return 1.0


def repeats(text, weight):
    """How many times an example enters the stream under a weight (deterministic by hash)."""
    whole = int(weight)
    frac = weight - whole
    extra = 1 if frac > 0 and (example_hash("mix:" + text) % 1_000_000) < frac * 1_000_000 else 0
    return whole + extra


def iter_examples(paths, mix=None, stats=None):
    """(rel path, Example, rendered text, weight) for every unique example of every source."""
    mix = mix or {}
    seen = set()
    stats = stats if stats is not None else {}
    for path in find_sources(paths):
        base = next((p for p in paths if os.path.isdir(p) and
                     os.path.abspath(path).startswith(os.path.join(os.path.abspath(p), ""))), None)
        rel = os.path.relpath(path, base) if base else os.path.basename(path)
        st = stats.setdefault(rel, {})
        for ex in read_source(path, rel, st):
            text = render_text(ex)
            h = hashlib.sha1(text.encode("utf-8")).digest()
            if h in seen:
                st["duplicates"] = st.get("duplicates", 0) + 1
                continue
            seen.add(h)
            weight = weight_for(rel, mix)
            words = int(mix.get(OPENER_WORDS_KEY, 8))
            if OFF_TOPIC_KEY in mix and opener_restates_question(ex, words) is False:
                # the first reply opens without a content word of the question: the mix's multiplier
                weight *= mix[OFF_TOPIC_KEY]
                st["off_topic_openers"] = st.get("off_topic_openers", 0) + 1
            yield rel, ex, text, weight


def training_texts(paths, max_bytes=32_000_000, heldout=0.02, mix_path=None):
    """Rendered train-split texts (mix applied) up to max_bytes, for tokenizer training."""
    out, size = [], 0
    for rel, ex, text, weight in iter_examples(paths, load_mix(mix_path)):
        if is_heldout(text, heldout):
            continue
        for _ in range(max(1, repeats(text, weight))):
            out.append(text)
            size += len(text.encode("utf-8"))
        if size >= max_bytes:
            break
    return out


# ----------------------------------------------------------------------------------------------
# shard writing

class ShardWriter:
    """Appends documents to {split}_NNN.bin (+ .mask.bin, .starts.npy), starting a new shard when full."""

    def __init__(self, folder, split, shard_tokens=SHARD_TOKENS):
        self.folder, self.split, self.shard_tokens = folder, split, shard_tokens
        os.makedirs(folder, exist_ok=True)
        self.shards = []
        self.tokens = 0
        self.docs = 0
        self._open()

    def _open(self):
        name = f"{self.split}_{len(self.shards):03d}"
        self.name = name
        self.f_ids = open(os.path.join(self.folder, name + ".bin"), "wb")
        self.f_mask = open(os.path.join(self.folder, name + ".mask.bin"), "wb")
        self.starts = []
        self.n = 0
        self.shards.append(name)

    def _close(self):
        self.f_ids.close()
        self.f_mask.close()
        np.save(os.path.join(self.folder, self.name + ".starts.npy"), np.array(self.starts, dtype=np.int64))

    def add(self, ids, mask):
        if self.n and self.n + len(ids) > self.shard_tokens:
            self._close()
            self._open()
        self.starts.append(self.n)
        self.f_ids.write(np.asarray(ids, dtype=np.uint16).tobytes())
        self.f_mask.write(np.asarray(mask, dtype=np.uint8).tobytes())
        self.n += len(ids)
        self.tokens += len(ids)
        self.docs += 1

    def finish(self):
        self._close()
        return {"shards": self.shards, "tokens": self.tokens, "documents": self.docs}


_WORKER_TOK = None


def _init_worker(tok_path):
    global _WORKER_TOK
    _WORKER_TOK = Tokenizer.load(tok_path)


def _encode_job(ex):
    return encode_example(_WORKER_TOK, ex)


def prepare(data_paths, tokenizer_path, out, heldout=0.02, mix_path=None, licenses_path=None, workers=1,
            shard_tokens=SHARD_TOKENS, licenses=None, log=print):
    """Writes out/{pretrain,sft}/{train,val}_NNN.* and out/manifest.json; returns the manifest."""
    t0 = time.time()
    tok = Tokenizer.load(tokenizer_path)
    if tok.vocab_size > 65535:
        raise SystemExit("uint16 shards need a vocabulary below 65536")
    mix = load_mix(mix_path)
    overrides = dict(licenses or {})
    if licenses_path:
        with open(licenses_path, encoding="utf-8") as f:
            overrides.update(json.load(f))
    readme = "".join(read_readme(p) for p in data_paths)
    if readme and log:
        log("data README:\n  " + "\n  ".join(readme.strip().splitlines()[:40]))

    writers = {(stream, split): ShardWriter(os.path.join(out, stream), split, shard_tokens)
               for stream in ("pretrain", "sft") for split in ("train", "val")}
    stats = {}
    per_source = {}

    def examples():
        """Pass 0 yields every example once; pass p > 0 the train examples whose weight repeats them
        more than p times, so repeated copies sit a whole pass apart instead of side by side."""
        passes = max([1] + [int(math.ceil(w)) for w in mix.values()])
        for p in range(passes):
            for rel, ex, text, weight in iter_examples(data_paths, mix, stats if p == 0 else {}):
                split = "val" if is_heldout(text, heldout) else "train"
                n = 1 if split == "val" else repeats(text, weight)  # held-out stays unweighted
                if p == 0:
                    src = per_source.setdefault(rel, {"file": rel, "weight": weight_for(rel, mix), "examples": 0,
                                                      "chat_examples": 0, "text_examples": 0, "train_examples": 0,
                                                      "val_examples": 0, "train_tokens": 0, "val_tokens": 0})
                    src["examples"] += 1
                    src["chat_examples" if ex.is_chat else "text_examples"] += 1
                    src[split + "_examples"] += 1
                if n > p:
                    yield rel, ex, split

    items = examples()
    pool = None
    if workers > 1:
        import multiprocessing as mp
        pool = mp.Pool(workers, initializer=_init_worker, initargs=(tokenizer_path,))

        def encoded():
            while True:
                batch = list(itertools.islice(items, 4096))
                if not batch:
                    return
                for (rel, ex, split), enc in zip(batch, pool.imap(_encode_job, [b[1] for b in batch], chunksize=64)):
                    yield rel, ex, split, enc
        stream = encoded()
    else:
        stream = ((rel, ex, split, encode_example(tok, ex)) for rel, ex, split in items)

    n_docs = 0
    for rel, ex, split, (ids, mask) in stream:
        writers[("pretrain", split)].add(ids, [1] * len(ids))
        if ex.is_chat:
            writers[("sft", split)].add(ids, mask)
        per_source[rel][split + "_tokens"] += len(ids)
        n_docs += 1
        if log and n_docs % 20000 == 0:
            log(f"  {n_docs} documents, {time.time() - t0:.0f}s")
    if pool:
        pool.close()
        pool.join()

    streams = {}
    for (stream_name, split), w in writers.items():
        streams.setdefault(stream_name, {})[split] = w.finish()
    for rel, src in per_source.items():
        src["license"] = license_for(rel, readme, overrides)
        src["skipped"] = stats.get(rel, {})
    manifest = {
        "created_by": "training/data.py",
        "data": [os.path.abspath(p) for p in data_paths],
        "readme": readme[:8000],
        "tokenizer": os.path.abspath(tokenizer_path),
        "tokenizer_sha256": hashlib.sha256(open(tokenizer_path, "rb").read()).hexdigest(),
        "vocab_size": tok.vocab_size,
        "dtype": "uint16",
        "chat_format": "ChatML; documents end with <|endoftext|>",
        "heldout_fraction": heldout,
        "mix": {"name": os.path.basename(mix_path) if mix_path else "", "weights": mix, "default_weight": 1.0,
                "rule": "weight = repeat count (fraction by hash); held-out examples are never repeated"},
        "sources": [per_source[k] for k in sorted(per_source)],
        "streams": streams,
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    if log:
        for name, s in streams.items():
            log(f"  {name}: train {s['train']['tokens']} tokens / {s['train']['documents']} docs, "
                f"val {s['val']['tokens']} tokens / {s['val']['documents']} docs")
        log(f"data: wrote {out} in {time.time() - t0:.1f}s")
    return manifest


def main(argv=None):
    p = argparse.ArgumentParser(description="Prepare token shards from a data folder.")
    p.add_argument("--data", nargs="+", default=[os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data"))],
                   help="data folder(s) or files (default: ../shared/data)")
    p.add_argument("--tokenizer", required=True, help="tokenizer.json (train one with train_tokenizer.py)")
    p.add_argument("--out", required=True, help="output folder for shards + manifest.json")
    p.add_argument("--heldout", type=float, default=0.02, help="held-out fraction (default 0.02)")
    p.add_argument("--mix", help='JSON {"glob": weight} per source (default: every source 1.0)')
    p.add_argument("--licenses", help='JSON {"glob": "license"} when the README does not say')
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--shard-tokens", type=int, default=SHARD_TOKENS)
    args = p.parse_args(argv)
    prepare(args.data, args.tokenizer, args.out, heldout=args.heldout, mix_path=args.mix,
            licenses_path=args.licenses, workers=args.workers, shard_tokens=args.shard_tokens)
    return 0


if __name__ == "__main__":
    sys.exit(main())
