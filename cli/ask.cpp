// cli/ask.cpp — `headstart ask`: one turn in the terminal, words paced as the user would see them.
//
//   headstart ask "question" [options]
//
// Options:
//   --model FILE.onnx --tokenizer FILE   the μLM (default: the evaluation's default in assets/models,
//                                        native/model_files.h, + assets/models/tokenizer.json)
//   --threads N                          ORT intra-op threads (1)
//   --kernels K                          what runs the μLM's int8 weights: auto (kernels.json beside the
//                                        model, else fp32), fp32, nbits8-bN (native/ort_model.h)
//   --cloud URL                          OpenAI-compatible endpoint (http://127.0.0.1:8088)
//   --cloud-model NAME --api-key-env VAR the model id and the env variable holding the API key
//   --ca-file PEM                        extra CA for an https endpoint (certificates are always verified)
//   --mode chat|prefill                  handoff request mode (chat)
//   --opener mulm|canned|none            where the opener comes from (mulm)
//   --verdict auto|continue|pivot|rewrite  force a correction path (auto)
//   --min-words N --max-words N --latency-ms MS --wpm N --no-gate
//   --speech                             the speech form of the corrections ("Let me rephrase: …")
//   --temperature T --top-k K --top-p P --seed S
//   --deadline-ms MS                     longest cloud silence accepted (8000)
//   --fast                               no pacing: show words as they arrive
//   --json                               the turn as one JSON object (core/turn_json.h) instead of the report
//   --wav FILE                           (with --speech) the spoken answer, eSpeak NG, as a WAV: the opener
//                                        from the handoff, the cloud's words as they arrived (core/speech.h);
//                                        the word timings and the silence at the handoff go into --json
//   --voice NAME --speech-wpm N          eSpeak NG voice (en-us) and rate (165)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/speech.h"
#include "core/tokenizer.h"
#include "core/turn.h"
#include "core/turn_json.h"
#include "native/model_files.h"
#include "native/ort_model.h"
#ifdef HEADSTART_HAVE_ESPEAK
#include "native/espeak_synth.h"
#endif
#include "native/turn_runner.h"

using namespace headstart;
using json = nlohmann::json;

namespace {

struct AskOptions {
    std::string question;
    std::string model;  // empty: default_model()
    std::string tokenizer = "assets/models/tokenizer.json";
    int threads = 1;
    std::string kernels = "auto";
    std::string api_key_env;
    bool json_out = false;
    std::string wav;  // --wav
    std::string voice = "en-us";
    int speech_wpm = 165;
    TurnConfig turn;
    TurnRunOptions run;
};

std::string parse_ask(int argc, char** argv, AskOptions* o) {
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--", 0) != 0) {
            if (!o->question.empty()) return "only one question, please (quote it)";
            o->question = a;
            continue;
        }
        if (a == "--json") {
            o->json_out = true;
            continue;
        }
        if (a == "--no-gate") {
            o->turn.gate.enabled = false;
            continue;
        }
        if (a == "--fast") {
            o->run.paced = false;
            continue;
        }
        if (a == "--speech") {
            o->turn.correction.mode = PresentationMode::Speech;
            continue;
        }
        if (i + 1 >= argc) return "missing value for " + a;
        const char* v = argv[++i];
        double n = 0;
        if (a == "--model") o->model = v;
        else if (a == "--tokenizer") o->tokenizer = v;
        else if (a == "--threads") {
            if (!parse_number(v, 1, 64, &n)) return "bad --threads";
            o->threads = static_cast<int>(n);
        } else if (a == "--kernels") {
            if (const std::string bad = check_kernels(v); !bad.empty()) return "--kernels: " + bad;
            o->kernels = v;
        } else if (a == "--cloud") o->run.endpoint.base_url = v;
        else if (a == "--cloud-model") o->run.endpoint.model = o->turn.handoff.model = v;
        else if (a == "--api-key-env") o->api_key_env = v;
        else if (a == "--ca-file") o->run.endpoint.ca_file = v;
        else if (a == "--mode") {
            if (std::string(v) == "chat") o->turn.handoff.mode = HandoffMode::Chat;
            else if (std::string(v) == "prefill") o->turn.handoff.mode = HandoffMode::Prefill;
            else return "--mode is chat or prefill";
        } else if (a == "--opener") {
            const std::string s = v;
            if (s == "mulm") o->turn.opener_source = OpenerSource::Model;
            else if (s == "canned") o->turn.opener_source = OpenerSource::Canned;
            else if (s == "none") o->turn.opener_source = OpenerSource::None;
            else return "--opener is mulm, canned or none";
        } else if (a == "--canned") o->turn.canned_opener = v;
        else if (a == "--verdict") {
            const std::string s = v;
            if (s == "auto") o->turn.forced_verdict.clear();
            else if (s == "continue" || s == "pivot" || s == "rewrite") o->turn.forced_verdict = s;
            else return "--verdict is auto, continue, pivot or rewrite";
        } else if (a == "--min-words") {
            if (!parse_number(v, 1, 32, &n)) return "bad --min-words";
            o->turn.opener.min_words = static_cast<int>(n);
        } else if (a == "--max-words") {
            if (!parse_number(v, 1, 32, &n)) return "bad --max-words";
            o->turn.opener.max_words = static_cast<int>(n);
        } else if (a == "--latency-ms") {
            if (!parse_number(v, 0, 60000, &n)) return "bad --latency-ms";
            o->turn.opener.expected_cloud_latency_ms = n;
        } else if (a == "--wpm") {
            if (!parse_number(v, 30, 2000, &n)) return "bad --wpm (30..2000)";
            o->turn.presenter.words_per_minute = o->turn.opener.words_per_minute = n;
        } else if (a == "--wav") o->wav = v;
        else if (a == "--voice") o->voice = v;
        else if (a == "--speech-wpm") {
            if (!parse_number(v, 80, 450, &n)) return "bad --speech-wpm (80..450)";
            o->speech_wpm = static_cast<int>(n);
        } else if (a == "--temperature") {
            if (!parse_number(v, 0, 2, &n)) return "bad --temperature";
            o->turn.sampler.temperature = static_cast<float>(n);
        } else if (a == "--top-k") {
            if (!parse_number(v, 0, 100000, &n)) return "bad --top-k";
            o->turn.sampler.top_k = static_cast<int>(n);
        } else if (a == "--top-p") {
            if (!parse_number(v, 0.001, 1, &n)) return "bad --top-p";
            o->turn.sampler.top_p = static_cast<float>(n);
        } else if (a == "--seed") {
            if (!parse_number(v, 0, 1e18, &n)) return "bad --seed";
            o->turn.sampler.seed = static_cast<std::uint64_t>(n);
        } else if (a == "--deadline-ms") {
            if (!parse_number(v, 100, 600000, &n)) return "bad --deadline-ms";
            o->run.idle_timeout_ms = static_cast<int>(n);
        } else return "unknown option " + a;
    }
    if (o->question.empty()) return "ask needs a question";
    if (!o->wav.empty() && o->turn.correction.mode != PresentationMode::Speech) return "--wav needs --speech";
    o->turn.handoff.model = o->run.endpoint.model;
    if (!o->api_key_env.empty()) {
        const char* key = std::getenv(o->api_key_env.c_str());
        if (!key || !*key) return "the environment variable " + o->api_key_env + " is empty";
        o->run.endpoint.api_key = key;
    }
    return "";
}

// The answer as heard: the words the presenter showed, spoken by eSpeak NG from when each arrived
// (core/speech.h), written to `wav`; the figures for --json.
Result<json> speak_turn(const Turn& turn, const std::string& wav, const std::string& voice, int wpm) {
#ifdef HEADSTART_HAVE_ESPEAK
    auto synth = EspeakSynthesizer::create(EspeakOptions{voice, wpm});
    if (!synth.ok()) return Error{synth.error()};
    auto track = speak_arrivals(spoken_arrivals(turn.timeline()), **synth);
    if (!track.ok()) return Error{track.error()};
    const SpeechTrack& t = track.value();
    if (auto st = write_wav(wav, t.samples, t.sample_rate); !st.ok()) return Error{st.error()};
    json words = json::array();
    for (const HeardWord& w : t.words)
        words.push_back(
            {{"word", w.word}, {"start_ms", w.start_ms}, {"end_ms", w.end_ms}, {"origin", to_string(w.origin)}});
    return json{{"wav", wav},
                {"voice", voice},
                {"words_per_minute", wpm},
                {"sample_rate", t.sample_rate},
                {"duration_ms", t.duration_ms()},
                {"utterances", t.utterances},
                {"first_word_ms", t.words.empty() ? 0.0 : t.words.front().start_ms},
                {"handoff_silence_ms", t.handoff_silence_ms},
                {"words", words}};
#else
    (void)turn, (void)wav, (void)voice, (void)wpm;
    return Error{"--wav: this build has no eSpeak NG (install libespeak-ng-dev and rebuild)"};
#endif
}

std::string ms(const std::optional<double>& v) {
    if (!v) return "—";
    char b[32];
    std::snprintf(b, sizeof b, "%.1f ms", *v);
    return b;
}

}  // namespace

int headstart::ask_main(int argc, char** argv) {
    --argc, ++argv;  // argv[0] is "ask"
    AskOptions o;
    if (auto err = parse_ask(argc, argv, &o); !err.empty()) return cli_usage(err);
    std::unique_ptr<LanguageModel> model;
    auto tokenizer = Tokenizer::load(o.tokenizer);
    if (!tokenizer.ok()) {
        std::fprintf(stderr, "headstart: %s\n", tokenizer.error().c_str());
        return 1;
    }
    if (o.turn.opener_source == OpenerSource::Model) {
        if (o.model.empty()) {
            const auto m = default_model();
            if (!m) {
                std::fprintf(stderr, "headstart: no --model given and no trained μLM in assets/models\n");
                return 1;
            }
            o.model = m->model_path;
        }
        OrtModelOptions mo;
        mo.threads = o.threads;
        mo.kernels = o.kernels;
        auto m = load_ort_model(o.model, mo);
        if (!m.ok()) {
            std::fprintf(stderr, "headstart: %s\n", m.error().c_str());
            return 1;
        }
        model = std::move(m.value());
    }
    Turn turn(tokenizer.value(), o.turn);
    HttpClient http;
    size_t printed = 0;
    const auto live = [&](const Turn& t) {  // the words as the user sees them, at the user's pace
        if (o.json_out) return;
        const std::string shown = t.shown_text();
        if (shown.size() > printed) {
            std::fputs(shown.c_str() + printed, stdout);
            std::fflush(stdout);
            printed = shown.size();
        }
    };
    if (!o.json_out) std::printf("> %s\n", o.question.c_str());
    Status st = run_turn(turn, o.question, model.get(), http, o.run, live);
    if (!st.ok()) {
        std::fprintf(stderr, "\nheadstart: %s\n", st.error().c_str());
        return 1;
    }
    json speech;
    if (!o.wav.empty()) {
        auto heard = speak_turn(turn, o.wav, o.voice, o.speech_wpm);
        if (!heard.ok()) {
            std::fprintf(stderr, "\nheadstart: %s\n", heard.error().c_str());
            return 1;
        }
        speech = heard.value();
    }
    if (o.json_out) {
        json j = turn_json(turn);
        if (!speech.is_null()) j["speech"] = speech;
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    const TurnMetrics m = turn.timeline().metrics();
    const CorrectedAnswer a = turn.answer();
    std::printf("\n\nopener    \"%s\"  (%s, %d tokens; stop: %s)\n", turn.opener().c_str(),
                to_string(turn.config().opener_source), static_cast<int>(turn.opener_tokens().size()),
                turn.opener_decision().why.empty() ? "—" : turn.opener_decision().why.c_str());
    std::printf("tokens   ");
    for (const auto& t : turn.opener_tokens())
        std::printf(" [%s %.2f]%s", t.text.c_str(), t.prob, t.in_opener ? "" : "x");
    std::printf("\ngate      %s\n", turn.gate().fired ? turn.gate().why.c_str() : "passed");
    std::printf("handoff   %s %s\n", to_string(turn.config().handoff.mode), o.run.endpoint.base_url.c_str());
    if (auto v = turn.verdict())
        std::printf("verdict   %s (%s: %s)\n", to_string(v->verdict), to_string(v->source), v->why.c_str());
    std::printf("path      %s\n", a.label().c_str());
    if (turn.cloud_failed()) std::printf("cloud     FAILED: %s\n", turn.failure().c_str());
    std::printf("answer    ");
    for (const auto& s : a.segments) {
        if (s.style == SegmentStyle::Cut) continue;
        if (s.style == SegmentStyle::Struck) std::printf("~~%s~~", s.text.c_str());
        else std::printf("%s", s.text.c_str());
    }
    std::printf(
        "\ntimings   local TTFT %s | 4 words %s | cloud TTFT %s | first word shown %s | masked %.0f ms | stall %.0f ms | %d words before the cloud\n",
        ms(m.local_ttft_ms).c_str(), ms(m.time_to_4_words_ms).c_str(), ms(m.cloud_ttft_ms).c_str(),
        ms(m.perceived_first_word_ms).c_str(), m.masked_ms, m.stall_ms, m.words_before_cloud);
    if (!speech.is_null())
        std::printf(
            "heard     %s: %.0f ms of audio, first word at %.0f ms, silence at the handoff %.0f ms (%d utterances)\n",
            o.wav.c_str(), speech["duration_ms"].get<double>(), speech["first_word_ms"].get<double>(),
            speech["handoff_silence_ms"].get<double>(), speech["utterances"].get<int>());
    return 0;
}
