// cloud/reference_continuator.cpp — see reference_continuator.h.
#include "cloud/reference_continuator.h"

#include <algorithm>
#include <vector>

#include "core/eval_metrics.h"
#include "core/words.h"

namespace headstart {

namespace {

constexpr size_t kSearchWords = 80;  // the continue match must start within the reference's first words

struct Words {
    std::vector<WordSpan> spans;
    std::vector<std::string> keys;  // word_key() of each
};

Words words_with_keys(std::string_view text) {
    Words w;
    w.spans = split_words(text);
    for (const auto& s : w.spans) w.keys.push_back(word_key(text.substr(s.begin, s.end - s.begin)));
    return w;
}

bool has_content_word(const std::vector<std::string>& keys, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i)
        if (!keys[i].empty() && !is_stop_word(keys[i])) return true;
    return false;
}

// Where the text after a word's letters starts: "time," -> after "time" (the comma is the
// continuation's), so the opener "… your time" goes on ", and …".
size_t after_letters(std::string_view text, const WordSpan& w) {
    size_t end = w.end;
    while (end > w.begin) {
        const unsigned char c = static_cast<unsigned char>(text[end - 1]);
        if (std::isalnum(c) || c >= 0x80) break;
        --end;
    }
    return end;
}

// "Improving your time …" after "— actually," -> "improving your time …". A first word is lower-cased
// when it is a sentence-opening word, a gerund, or occurs in lower case in the question or the rest of
// the answer ("Consumer behavior …" / "… influence consumer behavior?"); names ("Python") are kept.
std::string lower_first_word(std::string text, std::string_view question) {
    const auto spans = split_words(text);
    if (spans.empty()) return text;
    const size_t at = spans[0].begin;
    if (!(text[at] >= 'A' && text[at] <= 'Z') || at + 1 >= text.size() || !(text[at + 1] >= 'a' && text[at + 1] <= 'z'))
        return text;  // "I", "AI", "**Bold**", "3D"
    const std::string first = text.substr(at, spans[0].end - at);
    const std::string key = word_key(first);
    std::string lowered = first;
    lowered[0] = static_cast<char>(lowered[0] - 'A' + 'a');
    const std::string lowered_key = word_key(lowered);
    bool seen_lower = false;
    for (std::string_view where : {question, std::string_view(text).substr(spans[0].end)}) {
        for (const auto& w : split_words(where)) {
            const std::string_view word = where.substr(w.begin, w.end - w.begin);
            if (!word.empty() && word[0] >= 'a' && word[0] <= 'z' && word_key(word) == lowered_key) seen_lower = true;
        }
    }
    const bool gerund = key.size() > 4 && key.compare(key.size() - 3, 3, "ing") == 0;
    if (seen_lower || gerund || is_sentence_opening_word(key)) text[at] = static_cast<char>(text[at] - 'A' + 'a');
    return text;
}

// "Certainly! One scenario …" -> "One scenario …": after a bridge the interjection has no place.
std::string without_interjection(std::string_view text) {
    for (const char* i : {"Certainly!", "Certainly.", "Certainly,", "Sure!", "Sure.", "Sure,", "Absolutely!",
                          "Of course!", "Great question!", "Good question!"}) {
        const std::string_view w(i);
        if (text.substr(0, w.size()) == w) return std::string(trim_leading_spaces(text.substr(w.size())));
    }
    return std::string(text);
}

// The text cut to `max_tokens` (counted piece by piece: a word with the spaces before it), back to a
// sentence end when one is in the second half; *cut says whether anything was left out.
std::string budgeted(std::string_view text, int max_tokens, const std::function<int(std::string_view)>& count,
                     bool* cut) {
    const auto spans = split_words(text);
    size_t fits = 0, at = 0;
    int used = 0;
    for (; fits < spans.size(); ++fits) {
        const int n = count(text.substr(at, spans[fits].end - at));
        if (used + n > max_tokens) break;
        used += n;
        at = spans[fits].end;
    }
    *cut = fits < spans.size();
    if (!*cut) return std::string(text);
    if (fits == 0) return "";
    size_t end = spans[fits - 1].end;
    for (size_t i = fits; i-- > fits / 2;) {
        const std::string_view word = text.substr(spans[i].begin, spans[i].end - spans[i].begin);
        const char last = word.back();
        const bool letters =
            std::any_of(word.begin(), word.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
        if ((last == '.' || last == '!' || last == '?' || last == ':') && letters) {  // not a list's "1."
            end = spans[i].end;
            break;
        }
    }
    return std::string(text.substr(0, end));
}

}  // namespace

ReferencePlan plan_reference_continuation(std::string_view question, std::string_view opener,
                                          std::string_view reference) {
    ReferencePlan plan;
    const std::string_view ref = trim_spaces(reference);
    if (trim_spaces(opener).empty()) {
        plan.verdict = Verdict::Continue;
        plan.text = std::string(ref);
        plan.why = "no opener: the reference answer";
        return plan;
    }
    if (is_generic_opener(opener) && trailing_boundary(opener) != Boundary::None) {  // "Good question —"
        plan.verdict = Verdict::Continue;
        plan.text = " " + std::string(ref);
        plan.why = "a generic opener: the reference follows it";
        return plan;
    }
    const Words o = words_with_keys(opener), r = words_with_keys(ref);
    const size_t n = o.keys.size();
    const size_t search = std::min(r.keys.size(), kSearchWords);
    // The whole opener, word for word, where a sentence of the reference starts: then the reference's
    // rest is grammatical after it. A partial match ("… faced by the education sector" against "The
    // education sector faces …") or one in mid-sentence would join two different subjects.
    for (size_t i = 0; n > 0 && has_content_word(o.keys, 0, n) && i + n <= search; ++i) {
        if (i > 0) {
            const char before = ref[r.spans[i - 1].end - 1];
            const bool sentence_start =
                before == '.' || before == '!' || before == '?' || before == ':' ||
                ref.substr(r.spans[i - 1].end, r.spans[i].begin - r.spans[i - 1].end).find('\n') !=
                    std::string_view::npos;
            if (!sentence_start) continue;
        }
        bool same = true;
        for (size_t j = 0; same && j < n; ++j) same = !o.keys[j].empty() && o.keys[j] == r.keys[i + j];
        if (!same) continue;
        plan.verdict = Verdict::Continue;
        size_t from = after_letters(ref, r.spans[i + n - 1]);
        // The opener already ends with the punctuation the reference has there: do not repeat it.
        const std::string_view last = opener.substr(o.spans.back().begin, o.spans.back().end - o.spans.back().begin);
        const size_t own = last.size() - after_letters(last, WordSpan{0, last.size()});
        if (own > 0 && ref.substr(from, own) == last.substr(last.size() - own)) from += own;
        plan.text = std::string(ref.substr(from));
        plan.why = "the opener is the reference's words " + std::to_string(i + 1) + "-" + std::to_string(i + n);
        return plan;
    }
    const size_t start_words = std::min<size_t>(r.spans.size(), 40);
    const std::string_view ref_start = start_words ? ref.substr(0, r.spans[start_words - 1].end) : std::string_view();
    const bool related = check_on_topic(question, opener).on_topic || check_on_topic(ref_start, opener).on_topic;
    if (related) {
        plan.verdict = Verdict::Pivot;
        plan.text = " — actually, " + lower_first_word(without_interjection(ref), question);
        plan.why = "the opener is on topic but not the reference's wording";
    } else {
        plan.verdict = Verdict::Rewrite;
        plan.text = std::string(ref);
        plan.why = "the opener shares no content word with the question or the reference";
    }
    return plan;
}

namespace {

class ReferenceContinuator final : public Continuator {
public:
    ReferenceContinuator(std::shared_ptr<const ReferenceCorpus> corpus, ReferenceContinuatorOptions options)
        : corpus_(std::move(corpus)), options_(options) {}

    Status generate(const ContinuationTask& task, const std::function<bool(std::string_view)>& emit,
                    std::string* finish_reason) override {
        *finish_reason = "stop";
        const bool protocol =
            !task.opener.empty() &&
            (!task.forced_verdict.empty() || task.system.find(verdict_tag(Verdict::Continue)) != std::string::npos);
        const auto ref = corpus_->lookup(task.question, options_.min_score);
        ReferencePlan plan;
        if (!ref) {
            plan.verdict = Verdict::Rewrite;
            plan.text = kOfflineNoAnswer;
        } else {
            plan = plan_reference_continuation(task.question, task.opener, ref->answer);
            if (auto forced = verdict_from_name(task.forced_verdict); forced && *forced != plan.verdict) {
                const std::string answer = std::string(trim_spaces(ref->answer));
                plan.verdict = *forced;
                plan.text = *forced == Verdict::Pivot
                                ? " — actually, " + lower_first_word(without_interjection(answer), task.question)
                            : *forced == Verdict::Rewrite ? answer
                                                          : " " + answer;
            }
        }
        const auto count = options_.count_tokens ? options_.count_tokens : [](std::string_view piece) {
            return std::max(1, static_cast<int>((piece.size() + 3) / 4));  // ~4 bytes a token
        };
        int budget = task.max_tokens;
        if (protocol) {
            if (!emit(verdict_tag(plan.verdict))) return Ok{};
            budget -= count(verdict_tag(plan.verdict));
        }
        if (!protocol && plan.verdict == Verdict::Rewrite && !task.opener.empty())
            plan.text = " " + plan.text;  // no tag to retract the opener: at least do not glue onto it
        bool cut = false;
        const std::string text = budgeted(plan.text, std::max(0, budget), count, &cut);
        if (cut) *finish_reason = "length";
        // One piece per word with the spaces before it, as a model streams tokens.
        size_t at = 0;
        for (const auto& w : split_words(text)) {
            std::string_view piece = std::string_view(text).substr(at, w.end - at);
            for (const auto& s : task.stop) {
                const size_t hit = s.empty() ? std::string::npos : std::string_view(text).substr(0, w.end).find(s);
                if (hit != std::string::npos) {
                    if (hit > at) emit(std::string_view(text).substr(at, hit - at));
                    *finish_reason = "stop";
                    return Ok{};
                }
            }
            if (!emit(piece)) return Ok{};
            at = w.end;
        }
        return Ok{};
    }

private:
    std::shared_ptr<const ReferenceCorpus> corpus_;
    ReferenceContinuatorOptions options_;
};

}  // namespace

std::unique_ptr<Continuator> make_reference_continuator(std::shared_ptr<const ReferenceCorpus> corpus,
                                                        ReferenceContinuatorOptions options) {
    return std::make_unique<ReferenceContinuator>(std::move(corpus), options);
}

}  // namespace headstart
