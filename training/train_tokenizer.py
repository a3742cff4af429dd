#!/usr/bin/python3
"""Trains the byte-level BPE tokenizer (tokenizer.py) on the train split of data folders (data.py).

  train_tokenizer.py --data ../shared/data/train/chat ../shared/data/train/chat_extra --vocab-size 8192 \\
                     --out build/training/tokenizer.json [--fixture parity.json]

Its own file so that tokenizer.py (the BPE itself) and data.py (which encodes with it) do not import
each other: tokenizer <- data <- train_tokenizer.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from tokenizer import train_tokenizer, write_fixture  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, nargs="+", help="data folder(s) or files (see data.py)")
    p.add_argument("--vocab-size", type=int, default=8192)
    p.add_argument("--max-bytes", type=int, default=32_000_000, help="train on at most this much text")
    p.add_argument("--min-frequency", type=int, default=2)
    p.add_argument("--out", required=True, help="tokenizer.json to write")
    p.add_argument("--fixture", help="also write a parity fixture here")
    args = p.parse_args(argv)
    texts = data.training_texts(args.data, max_bytes=args.max_bytes)
    tok = train_tokenizer(texts, args.vocab_size, min_frequency=args.min_frequency)
    tok.save(args.out)
    print(f"wrote {args.out}")
    if args.fixture:
        write_fixture(tok, args.fixture)
        print(f"wrote {args.fixture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
