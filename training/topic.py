"""Does a reply's opener restate the question? The Python twin of core/eval_metrics.cpp content_words().

The mix can down-weight conversations whose first assistant reply opens without a content word of the
question ("Sure! Here is…", "I'm sorry, but…"): the product's opener is exactly those first words, and
`headstart eval` counts an opener on topic only when it shares a content word with the question. The word
list and the light stemmer are copied from core/eval_metrics.cpp (is_stop_word, light_stem); words are
split on white space and keyed by their letters and digits, lower-cased, like core/words.cpp word_key().
"""

STOP_WORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being best better between
both but by can cant could couldnt did do does doing dont down during each else even ever every explain few
for from further get gets give go good got had has have having he her here hers him his how i id if im in
into is isnt it its ive just know let lets like make me might more most much must my need no nor not now of
off on once one only or other our out over own please really same should so some such sure tell than that
thats the their them then there theres these they thing things this those through to too under until up us
use very want was way ways we well were what whats when where which while who whom why will with without
would yes you youll your youre yours
""".split())

OPENER_WORDS = 8


def word_key(word):
    return "".join(c.lower() if c.isascii() else c for c in word if c.isalnum())


def light_stem(s):
    if len(s) > 4 and s.endswith("ies"):
        s = s[:-3] + "y"
    elif len(s) > 5 and s.endswith("ing"):
        s = s[:-3]
    elif len(s) > 4 and s.endswith("ed"):
        s = s[:-2]
    elif len(s) > 3 and s.endswith("s") and not s.endswith(("ss", "us", "is")):
        s = s[:-1]
    if len(s) > 3 and s.endswith("e"):
        s = s[:-1]
    if len(s) > 3 and s[-1] == s[-2] and s[-1] in "bcdfghjklmnpqrstvwxyz":
        s = s[:-1]
    return s


def content_words(text, limit=None):
    words = text.split()
    if limit is not None:
        words = words[:limit]
    out = []
    for w in words:
        k = word_key(w)
        if not k or k in STOP_WORDS or (len(k) == 1 and k.isascii()):
            continue
        stem = light_stem(k)
        if stem not in out:
            out.append(stem)
    return out


def opener_restates_question(ex, words=OPENER_WORDS):
    """True / False for a conversation's first user question and the first `words` words of its first
    reply; None for prose."""
    turns = getattr(ex, "turns", None) or []
    question = next((c for r, c in turns if r == "user"), None)
    reply = next((c for r, c in turns if r == "assistant"), None)
    if question is None or reply is None:
        return None
    q = set(content_words(question))
    return bool(q.intersection(content_words(reply, words)))
