#!/usr/bin/python3
"""Byte-level BPE tokenizer (GPT-2 style), saved as a Hugging Face `tokenizer.json`.

Map of this file:
  SPECIAL_TOKENS       <|endoftext|>=0, <|im_start|>=1, <|im_end|>=2 (added tokens, special=true)
  bytes_to_unicode()   GPT-2's reversible byte -> printable character table
  PRETOKENIZE          GPT-2 pre-tokenization regex (what HF's ByteLevel pre-tokenizer uses)
  train_bpe()          learns merges from a word-frequency table with incremental pair counts
  Tokenizer            encode / decode / save / load of tokenizer.json
  TRICKY_TEXTS         texts for the C++ parity fixture (`--fixture OUT.json`)
  main()               CLI: encode | decode | fixture (training one from data: train_tokenizer.py)

Vocabulary layout (ids): 0..2 special tokens, 3..258 the 256 single bytes (id = 3 + byte value),
259.. one token per merge, in merge order (so a merge's rank is `new_id - 259`).

Pre-tokenization is GPT-2's regex with `\\p{L}` = Unicode letters (General_Category L*), `\\p{N}` =
numbers (N*), `\\s` = White_Space. Special tokens are cut out of the text *before* pre-tokenization and
never merge with neighbours. BPE applies the lowest-rank merge first, all of its occurrences left to right.
"""
import argparse
import heapq
import json
import os
import sys
import time
from collections import Counter, defaultdict

try:
    import regex  # Debian: python3-regex (needed for \p{L} / \p{N})
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("tokenizer.py needs the `regex` module: apt-get install python3-regex")

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
N_SPECIAL = len(SPECIAL_TOKENS)
BYTE_OFFSET = N_SPECIAL           # id of byte b is BYTE_OFFSET + b
FIRST_MERGE_ID = BYTE_OFFSET + 256

PRETOKENIZE_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
PRETOKENIZE = regex.compile(PRETOKENIZE_PATTERN)
SPECIAL_SPLIT = regex.compile("(" + "|".join(regex.escape(t) for t in SPECIAL_TOKENS) + ")")


def bytes_to_unicode():
    """GPT-2's table: every byte gets a printable unicode character (space -> 'Ġ', newline -> 'Ċ')."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {c: b for b, c in BYTE_ENCODER.items()}


def split_specials(text):
    """Yields (piece, special_id or None); special tokens are matched verbatim anywhere in the text."""
    for i, piece in enumerate(SPECIAL_SPLIT.split(text)):
        if i % 2 == 1:
            yield piece, SPECIAL_TOKENS.index(piece)
        elif piece:
            yield piece, None


def pretokenize(text):
    """Text without special tokens -> list of pre-token strings (GPT-2 regex)."""
    return PRETOKENIZE.findall(text)


# ----------------------------------------------------------------------------------------------
# training

def count_words(texts, counts=None):
    """Word-frequency table over pre-tokens of the given texts (special tokens removed)."""
    counts = Counter() if counts is None else counts
    for text in texts:
        for piece, special in split_specials(text):
            if special is None:
                counts.update(PRETOKENIZE.findall(piece))
    return counts


def train_bpe(word_counts, vocab_size, min_frequency=2, log=print):
    """Learns merges until the vocabulary has `vocab_size` entries (specials + bytes + merges).

    Keeps a pair -> count table and a pair -> {word index} index; a merge only revisits the words that
    contain the merged pair. The best pair comes from a lazy max-heap (stale entries are skipped).
    Ties break on the smaller (left id, right id), so training is deterministic.
    """
    n_merges = vocab_size - FIRST_MERGE_ID
    if n_merges < 0:
        raise ValueError(f"vocab_size must be at least {FIRST_MERGE_ID}")
    words, freqs = [], []
    for word, count in word_counts.items():
        ids = [BYTE_OFFSET + b for b in word.encode("utf-8")]
        if len(ids) > 1:
            words.append(ids)
            freqs.append(count)
    pair_counts = defaultdict(int)
    where = defaultdict(set)
    for wi, ids in enumerate(words):
        f = freqs[wi]
        for pair in zip(ids, ids[1:]):
            pair_counts[pair] += f
            where[pair].add(wi)
    heap = [(-c, pair) for pair, c in pair_counts.items()]
    heapq.heapify(heap)

    merges = []
    token_bytes = [t.encode("utf-8") for t in SPECIAL_TOKENS] + [bytes([b]) for b in range(256)]
    known = set(token_bytes)
    banned = set()  # pairs whose bytes already form a token (rare); skipping keeps one id per string
    t0 = time.time()
    while len(merges) < n_merges and heap:
        neg_count, pair = heapq.heappop(heap)
        count = pair_counts.get(pair, 0)
        if count != -neg_count:
            continue  # stale heap entry; the current count has its own entry
        if count < min_frequency:
            break
        joined = token_bytes[pair[0]] + token_bytes[pair[1]]
        if joined in known:
            banned.add(pair)
            pair_counts.pop(pair, None)
            continue
        known.add(joined)
        token_bytes.append(joined)
        new_id = FIRST_MERGE_ID + len(merges)
        merges.append(pair)
        a, b = pair
        changed = set()
        for wi in list(where[pair]):
            ids = words[wi]
            merged = []
            i = 0
            while i < len(ids):
                if i + 1 < len(ids) and ids[i] == a and ids[i + 1] == b:
                    merged.append(new_id)
                    i += 2
                else:
                    merged.append(ids[i])
                    i += 1
            old_pairs = Counter(zip(ids, ids[1:]))
            new_pairs = Counter(zip(merged, merged[1:]))
            f = freqs[wi]
            for q in old_pairs.keys() | new_pairs.keys():
                delta = new_pairs.get(q, 0) - old_pairs.get(q, 0)
                if delta:
                    pair_counts[q] += delta * f
                    changed.add(q)
                if q in new_pairs:
                    where[q].add(wi)
                else:
                    where[q].discard(wi)
            words[wi] = merged
        pair_counts.pop(pair, None)
        where.pop(pair, None)
        for q in changed:
            c = pair_counts.get(q, 0)
            if c > 0 and q not in banned:
                heapq.heappush(heap, (-c, q))
            else:
                pair_counts.pop(q, None)
        if log and len(merges) % 1000 == 0:
            log(f"  {len(merges)}/{n_merges} merges ({time.time() - t0:.1f}s)")
    if len(merges) < n_merges and log:
        log(f"  stopped at {len(merges)} merges: no pair occurs {min_frequency}+ times")
    return merges


# ----------------------------------------------------------------------------------------------
# the tokenizer

class Tokenizer:
    """Encodes text to ids and back. `merges` is a list of (left id, right id) in rank order."""

    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.merge_id = {pair: FIRST_MERGE_ID + r for r, pair in enumerate(self.merges)}
        self.token_bytes = [t.encode("utf-8") for t in SPECIAL_TOKENS] + [bytes([b]) for b in range(256)]
        for a, b in self.merges:
            self.token_bytes.append(self.token_bytes[a] + self.token_bytes[b])
        self.cache = {}

    @property
    def vocab_size(self):
        return len(self.token_bytes)

    def special_id(self, token):
        return SPECIAL_TOKENS.index(token)

    @property
    def eot_id(self):
        return SPECIAL_TOKENS.index("<|endoftext|>")

    def token_string(self, i):
        """The vocab key of id i: specials verbatim, others as GPT-2 byte-level characters."""
        if i < N_SPECIAL:
            return SPECIAL_TOKENS[i]
        return "".join(BYTE_ENCODER[b] for b in self.token_bytes[i])

    def _bpe(self, word):
        ids = self.cache.get(word)
        if ids is not None:
            return ids
        ids = [BYTE_OFFSET + b for b in word.encode("utf-8")]
        while len(ids) > 1:
            best = min(zip(ids, ids[1:]), key=lambda p: self.merge_id.get(p, 1 << 30))
            new_id = self.merge_id.get(best)
            if new_id is None:
                break
            merged, i = [], 0
            while i < len(ids):
                if i + 1 < len(ids) and ids[i] == best[0] and ids[i + 1] == best[1]:
                    merged.append(new_id)
                    i += 2
                else:
                    merged.append(ids[i])
                    i += 1
            ids = merged
        if len(self.cache) < 500_000:
            self.cache[word] = ids
        return ids

    def encode(self, text):
        """Text (may contain ChatML special tokens) -> list of ids."""
        out = []
        for piece, special in split_specials(text):
            if special is not None:
                out.append(special)
            else:
                for word in PRETOKENIZE.findall(piece):
                    out.extend(self._bpe(word))
        return out

    def decode(self, ids, skip_special=False):
        parts = []
        for i in ids:
            if i < N_SPECIAL and skip_special:
                continue
            parts.append(self.token_bytes[i])
        return b"".join(parts).decode("utf-8", errors="replace")

    # -- tokenizer.json ------------------------------------------------------------------------

    def to_json(self):
        vocab = {self.token_string(i): i for i in range(self.vocab_size)}
        merges = [f"{self.token_string(a)} {self.token_string(b)}" for a, b in self.merges]
        added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for i, t in enumerate(SPECIAL_TOKENS)]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": False, "vocab": vocab, "merges": merges},
        }

    def save(self, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, ensure_ascii=False, indent=None, separators=(",", ":"))
            f.write("\n")

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        vocab = spec["model"]["vocab"]
        for i, t in enumerate(SPECIAL_TOKENS):
            if vocab.get(t) != i:
                raise ValueError(f"{path}: expected {t} at id {i}")
        for b in range(256):
            if vocab.get(BYTE_ENCODER[b]) != BYTE_OFFSET + b:
                raise ValueError(f"{path}: byte {b} is not at id {BYTE_OFFSET + b}: not written by training/tokenizer.py")
        merges = []
        for m in spec["model"]["merges"]:
            left, right = m.split(" ") if isinstance(m, str) else m
            merges.append((vocab[left], vocab[right]))
        tok = cls(merges)
        for r, (left, right) in enumerate(merges):
            if vocab[tok.token_string(FIRST_MERGE_ID + r)] != FIRST_MERGE_ID + r:
                raise ValueError(f"{path}: merge {r} does not produce id {FIRST_MERGE_ID + r}")
        return tok


def train_tokenizer(texts, vocab_size, min_frequency=2, log=print):
    t0 = time.time()
    counts = count_words(texts)
    if log:
        log(f"tokenizer: {sum(counts.values())} pre-tokens, {len(counts)} distinct ({time.time() - t0:.1f}s)")
    merges = train_bpe(counts, vocab_size, min_frequency=min_frequency, log=log)
    tok = Tokenizer(merges)
    if log:
        log(f"tokenizer: vocab {tok.vocab_size} ({len(merges)} merges) in {time.time() - t0:.1f}s")
    return tok


# ----------------------------------------------------------------------------------------------
# parity fixture for the C++ tokenizer

TRICKY_TEXTS = [
    "",
    "Hello, world!",
    "hello world",
    " leading space",
    "trailing space ",
    "double  space and   triple",
    "tabs\tand\ttabs\t\tdouble",
    "line one\nline two\n\nline four\n",
    "  \n  indented\n\n\n   ",
    "   ",
    "\n",
    "I'm sure they'll say it's fine, we've done what you'd do.",
    "DON'T SHOUT, I'M HERE. She'S odd'",
    "don’t (curly apostrophe)",
    "Numbers: 0 7 42 1234567890 3.14159 -12 1e10 2024-05-06 10:30",
    "x=1+2*3/4-5; y==z != w <= v >= u",
    "email me at a.b@example.com or visit https://example.com/path?q=1&r=2#frag",
    "café naïve résumé Zürich São Paulo",
    "cafe\u0301 (combining accent)",
    "Привет, как дела?",
    "Γειά σου κόσμε",
    "مرحبا بالعالم",
    "שלום עולם",
    "日本語のテキスト、漢字とかな。",
    "中文标点符号：你好！",
    "한국어 문장입니다",
    "हिन्दी पाठ",
    "emoji 😀👍🏽 and 🇩🇪 flags, family 👨‍👩‍👧",
    "math ∑ ∫ √2 ≈ 1.414, π ≠ 3",
    "currency $5 €10 £3 ¥100 ₹50",
    "mixed123abc 123abc abc123 ١٢٣ ⅷ ²",
    "!!!???... --- *** ###",
    "nbsp\u00a0here and\u2003em space",
    "zero\u200bwidth",
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>assistant\nThe capital of France is Paris.<|im_end|>\n<|endoftext|>",
    "text<|im_end|>glued<|im_start|>tokens<|endoftext|>",
    "<|im_start|><|im_end|><|endoftext|>",
    "not special: <|im_start and im_end|> <|unknown|>",
    "The quick brown fox jumps over the lazy dog.",
    "How do I boil an egg? Place it in boiling water for nine minutes.",
    "Well — actually, the better way is to check first…",
]


def write_fixture(tok, path, texts=TRICKY_TEXTS):
    pairs = []
    for text in texts:
        ids = tok.encode(text)
        assert tok.decode(ids) == text, f"round trip failed for {text!r}"
        pairs.append({"text": text, "ids": ids})
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(pairs, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return pairs


# ----------------------------------------------------------------------------------------------
# CLI

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd")
    e = sub.add_parser("encode", help="print the ids of a text")
    e.add_argument("--tokenizer", required=True)
    e.add_argument("text")
    d = sub.add_parser("decode", help="print the text of ids")
    d.add_argument("--tokenizer", required=True)
    d.add_argument("ids", nargs="+", type=int)
    p.add_argument("--tokenizer", dest="fixture_tokenizer", help="with --fixture: the tokenizer.json to use")
    p.add_argument("--fixture", dest="fixture_out", metavar="OUT.json",
                   help="write {text, ids} parity pairs over tricky texts")
    args = p.parse_args(argv)

    if args.cmd == "encode":
        print(" ".join(map(str, Tokenizer.load(args.tokenizer).encode(args.text))))
    elif args.cmd == "decode":
        print(Tokenizer.load(args.tokenizer).decode(args.ids))
    elif args.fixture_out:
        if not args.fixture_tokenizer:
            p.error("--fixture needs --tokenizer tokenizer.json")
        pairs = write_fixture(Tokenizer.load(args.fixture_tokenizer), args.fixture_out)
        print(f"wrote {len(pairs)} pairs to {args.fixture_out}")
    else:
        p.print_help()
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
