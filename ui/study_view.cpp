// ui/study_view.cpp — see study_view.h.
//
// Map of this file:
//   the session        set_store(), reload(), next_pair() (both conditions run hidden), update()
//                      (the pair's turns finish, then replay A then B), rate(), export_csv()
//   drawing            the session bar, the summary (shares with Wilson intervals), the pair, draw()
//   state()            the study as JSON (tests, the page's state hook)
#include "ui/study_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "ui/theme.h"
#include "ui/transcript.h"
#include "ui/widgets.h"

namespace ui {

using headstart::Condition;
using headstart::RecordedTurn;

const char* to_string(StudyView::Phase p) {
    switch (p) {
        case StudyView::Phase::Idle: return "idle";
        case StudyView::Phase::Preparing: return "preparing";
        case StudyView::Phase::PlayingA: return "playing_a";
        case StudyView::Phase::PlayingB: return "playing_b";
        case StudyView::Phase::Rating: return "rating";
    }
    return "idle";
}

namespace {

std::string iso_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
#if defined(_WIN32)
    gmtime_s(&tm, &now);
#else
    gmtime_r(&now, &tm);
#endif
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

constexpr double kGapAfterA_ms = 900;  // a pause between the two answers
constexpr double kGapAfterB_ms = 300;

}  // namespace

void StudyView::set_store(headstart::StudyStore* store) {
    store_ = store ? store : &memory_;
    reload();
}

void StudyView::reload() {
    if (!store_) store_ = &memory_;
    auto all = store_->all();
    if (all.ok()) {
        trials_ = std::move(all.value());
        store_error_.clear();
    } else {
        store_error_ = all.error();
    }
    set_participant(participant_);
}

void StudyView::set_participant(const std::string& id) {
    std::snprintf(participant_, sizeof participant_, "%s", id.c_str());
    next_index_ = 0;
    for (const auto& t : trials_)
        if (t.participant == participant_) next_index_ = std::max(next_index_, t.index + 1);
}

void StudyView::start_job(Job& job, const StudyDrivers& d) {
    job.generation_before = job.driver->snapshot().generation;
    job.driver->start(d.controls->request(question_, job.condition == Condition::Headstart
                                                         ? headstart::OpenerSource::Model
                                                         : headstart::OpenerSource::None));
    job.started = true;
}

std::string StudyView::next_pair(const StudyDrivers& d, const std::string& question, double now_s) {
    if (!store_) set_store(nullptr);
    if (phase_ == Phase::Rating) return message_ = "rate this pair first";
    if (phase_ != Phase::Idle) return message_ = "a pair is in progress";
    if (!d.headstart || !d.controls) return message_ = "no driver to run the turns";
    const auto& presets = preset_questions();
    question_ = question.empty() ? presets[static_cast<size_t>(next_index_) % presets.size()] : question;
    headstart_is_a_ = headstart::headstart_is_a(seed_, next_index_);
    jobs_.clear();
    Job cloud_only, with_opener;
    cloud_only.condition = Condition::CloudOnly;
    cloud_only.driver = d.cloud_only ? d.cloud_only : d.headstart;
    with_opener.condition = Condition::Headstart;
    with_opener.driver = d.headstart;
    jobs_ = {cloud_only, with_opener};
    start_job(jobs_[0], d);
    if (jobs_[1].driver != jobs_[0].driver) start_job(jobs_[1], d);  // concurrently
    phase_ = Phase::Preparing;
    phase_start_s_ = now_s;
    a_ = b_ = RecordedTurn{};
    message_ = "preparing pair " + std::to_string(next_index_ + 1);
    return "";
}

void StudyView::update(const StudyDrivers& d, double now_s) {
    const double t_ms = (now_s - phase_start_s_) * 1000.0;
    switch (phase_) {
        case Phase::Idle:
        case Phase::Rating: return;
        case Phase::Preparing: {
            bool all_done = true;
            for (Job& job : jobs_) {
                if (!job.started) {
                    all_done = false;
                    continue;
                }
                if (!job.done) {
                    TurnSnapshot s = job.driver->snapshot();
                    if (s.generation != job.generation_before && !s.running) {
                        job.done = true;
                        job.last = std::move(s);
                    }
                }
                all_done = all_done && job.done;
            }
            // One driver: the second condition starts when the first has ended.
            if (!jobs_[1].started && jobs_[0].done) start_job(jobs_[1], d);
            if (!all_done) return;
            RecordedTurn recorded[2];
            for (int i = 0; i < 2; ++i) {
                const Job& job = jobs_[i];
                if (!job.last.turn || !job.last.error.empty()) {
                    message_ = std::string("the ") +
                               (job.condition == Condition::Headstart ? "\xC2\xB5LM + cloud" : "cloud only") +
                               " turn did not run: " + (job.last.error.empty() ? "no turn" : job.last.error);
                    phase_ = Phase::Idle;
                    return;
                }
                const headstart::Turn& turn = *job.last.turn;
                const headstart::CorrectedAnswer answer = turn.answer();
                recorded[i] =
                    headstart::record_turn(turn.timeline(), job.condition,
                                           job.condition == Condition::Headstart ? answer.label() : "", &answer);
            }
            // recorded[0] is cloud only, recorded[1] μLM + cloud.
            a_ = headstart_is_a_ ? recorded[1] : recorded[0];
            b_ = headstart_is_a_ ? recorded[0] : recorded[1];
            phase_ = Phase::PlayingA;
            phase_start_s_ = now_s;
            message_ = "playing A";
            return;
        }
        case Phase::PlayingA:
            if (t_ms > a_.end_ms() + kGapAfterA_ms) {
                phase_ = Phase::PlayingB;
                phase_start_s_ = now_s;
                message_ = "playing B";
            }
            return;
        case Phase::PlayingB:
            if (t_ms > b_.end_ms() + kGapAfterB_ms) {
                phase_ = Phase::Rating;
                b_end_s_ = now_s;
                message_ = "which answer felt better?";
            }
            return;
    }
}

void StudyView::replay(double now_s) {
    if (phase_ != Phase::Rating && phase_ != Phase::PlayingA && phase_ != Phase::PlayingB) return;
    phase_ = Phase::PlayingA;
    phase_start_s_ = now_s;
    message_ = "playing A again";
}

std::string StudyView::rate(headstart::Rating rating, double now_s) {
    if (!store_) set_store(nullptr);
    if (phase_ != Phase::Rating) return "there is no pair to rate (" + std::string(to_string(phase_)) + ")";
    headstart::StudyTrial t;
    t.participant = participant_;
    t.index = next_index_;
    t.question = question_;
    t.headstart_is_a = headstart_is_a_;
    t.rating = rating;
    t.decision_ms = (now_s - b_end_s_) * 1000.0;
    t.created_at = iso_now();
    t.a = a_;
    t.b = b_;
    const headstart::Status st = store_->add(t);
    if (!st.ok()) return message_ = "not saved: " + st.error();  // stays in Rating: nothing is lost
    trials_.push_back(std::move(t));
    ++next_index_;
    phase_ = Phase::Idle;
    message_ = "saved trial " + std::to_string(trials_.size());
    return "";
}

std::string StudyView::export_csv() {
    if (!store_) set_store(nullptr);
    auto where = store_->export_csv(headstart::study_csv(trials_));
    if (!where.ok()) return last_export_ = "export failed: " + where.error(), where.error();
    last_export_ = where.value();
    return "";
}

// ---- drawing ------------------------------------------------------------------------------

namespace {

void big_button_style(ImU32 color) {
    const ImVec4 c = to_vec4(color);
    ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(c.x, c.y, c.z, 0.30f));
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, ImVec4(c.x, c.y, c.z, 0.55f));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, ImVec4(c.x, c.y, c.z, 0.75f));
}

void proportion_row(const char* label, const headstart::Proportion& p, ImU32 color, float width) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    FontScope f(fonts().small);
    ImGui::TextColored(to_vec4(palette::text_dim), "%s", label);
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const float bar_w = width - 110, h = 14;
    dl->AddRectFilled(o, ImVec2(o.x + bar_w, o.y + h), IM_COL32(255, 255, 255, 14), 4.0f);
    if (p.n > 0) {
        dl->AddRectFilled(o, ImVec2(o.x + bar_w * static_cast<float>(p.p), o.y + h), with_alpha(color, 0.75f), 4.0f);
        // The 95 % interval as a whisker.
        const float lo = o.x + bar_w * static_cast<float>(p.lo), hi = o.x + bar_w * static_cast<float>(p.hi);
        const float cy = o.y + h * 0.5f;
        dl->AddLine(ImVec2(lo, cy), ImVec2(hi, cy), palette::text, 1.5f);
        dl->AddLine(ImVec2(lo, o.y + 2), ImVec2(lo, o.y + h - 2), palette::text, 1.5f);
        dl->AddLine(ImVec2(hi, o.y + 2), ImVec2(hi, o.y + h - 2), palette::text, 1.5f);
    }
    char text[64];
    if (p.n > 0) std::snprintf(text, sizeof text, "%.0f%%  [%.0f\xE2\x80\x93%.0f]", 100 * p.p, 100 * p.lo, 100 * p.hi);
    else std::snprintf(text, sizeof text, "\xE2\x80\x94");
    dl->AddText(ImVec2(o.x + bar_w + 8, o.y), palette::text, text);
    ImGui::Dummy(ImVec2(width, h + 2));
}

}  // namespace

std::string StudyView::draw_session(const StudyDrivers& d, double now_s, float width) {
    std::string err;
    panel_title("Session", "blind A/B pairs");
    const bool idle = phase_ == Phase::Idle;
    ImGui::PushItemWidth(width);
    {
        FontScope f(fonts().small);
        ImGui::TextColored(to_vec4(palette::text_dim), "participant");
    }
    ImGui::BeginDisabled(!idle);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s", participant_);
    if (ImGui::InputText("##participant", buf, sizeof buf)) set_participant(buf);
    {
        FontScope f(fonts().small);
        ImGui::TextColored(to_vec4(palette::text_dim), "order seed");
    }
    ImGui::InputScalar("##seed", ImGuiDataType_U64, &seed_);
    ImGui::EndDisabled();
    ImGui::PopItemWidth();
    ImGui::Spacing();
    big_button_style(palette::teal);
    ImGui::BeginDisabled(!idle);
    if (ImGui::Button("Next pair \xE2\x96\xB6", ImVec2(width, 36))) err = next_pair(d, "", now_s);
    ImGui::EndDisabled();
    ImGui::PopStyleColor(3);
    {
        FontScope f(fonts().small);
        ImGui::TextColored(to_vec4(palette::text_dim), "trial %d \xC2\xB7 %s", next_index_ + 1, to_string(phase_));
        if (!message_.empty()) {
            ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width);
            ImGui::TextColored(to_vec4(message_.rfind("not saved", 0) == 0 ? palette::red : palette::text), "%s",
                               message_.c_str());
            ImGui::PopTextWrapPos();
        }
    }
    return err;
}

void StudyView::draw_summary(float width) {
    const headstart::StudySummary s = headstart::summarize(trials_);
    char sub[48];
    std::snprintf(sub, sizeof sub, "n = %d", s.n);
    panel_title("Results", sub);
    proportion_row("prefers \xC2\xB5LM + cloud", s.headstart, palette::teal, width);
    proportion_row("equivalent", s.equivalent, palette::text_dim, width);
    proportion_row("prefers cloud only", s.cloud_only, palette::violet, width);
    {
        FontScope f(fonts().small);
        ImGui::TextColored(to_vec4(palette::text_faint),
                           "bars: share of ratings \xC2\xB7 whiskers: 95%% Wilson interval");
        ImGui::TextColored(to_vec4(palette::text_dim), "mean first word: \xC2\xB5LM + cloud %s \xC2\xB7 cloud only %s",
                           format_ms(s.mean_first_word_headstart_ms).c_str(),
                           format_ms(s.mean_first_word_cloud_only_ms).c_str());
    }
    ImGui::Spacing();
    if (ImGui::Button("Export CSV", ImVec2(width, 0))) export_csv();
    FontScope f(fonts().small);
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + width);
    if (!last_export_.empty()) ImGui::TextColored(to_vec4(palette::text), "%s", last_export_.c_str());
    ImGui::TextColored(to_vec4(store_ && store_->durable() ? palette::text_faint : palette::amber), "store: %s",
                       store_ ? store_->describe().c_str() : "none");
    if (!store_error_.empty()) ImGui::TextColored(to_vec4(palette::red), "%s", store_error_.c_str());
    ImGui::PopTextWrapPos();
}

void StudyView::draw_pair(double now_s, ImVec2 size) {
    const double t_ms = (now_s - phase_start_s_) * 1000.0;
    if (phase_ == Phase::Idle && a_.words.empty()) {
        ImGui::Dummy(ImVec2(0, 10));
        FontScope f(fonts().heading);
        ImGui::TextColored(to_vec4(palette::text_dim),
                           "Press Next pair. The question is answered twice, in a random order:");
        FontScope s(fonts().body);
        ImGui::TextColored(to_vec4(palette::text_faint),
                           "once by the cloud alone, once with the \xC2\xB5LM's opener first. "
                           "Each answer replays at its real timing; then rate them.");
        return;
    }
    {
        FontScope f(fonts().heading);
        ImGui::TextColored(to_vec4(palette::text_dim), "Q");
        ImGui::SameLine();
        ImGui::TextUnformatted(question_.c_str());
    }
    if (phase_ == Phase::Preparing) {
        const int dots = static_cast<int>(now_s * 3) % 4;
        FontScope f(fonts().body);
        ImGui::TextColored(to_vec4(palette::text_dim),
                           "preparing the pair%.*s  (both answers are recorded before you see them)", dots, "...");
        return;
    }
    const float gap = 12.0f;
    const float pw = (size.x - gap) * 0.5f;
    const float ph = std::max(140.0f, size.y - 120.0f);
    for (int side = 0; side < 2; ++side) {
        const RecordedTurn& r = side == 0 ? a_ : b_;
        const bool playing = (side == 0 && phase_ == Phase::PlayingA) || (side == 1 && phase_ == Phase::PlayingB);
        const bool played = side == 0 ? phase_ != Phase::PlayingA : phase_ == Phase::Rating || phase_ == Phase::Idle;
        const double at = playing ? t_ms : played ? 1e12 : -1;
        if (side == 1) ImGui::SameLine(0, gap);
        ImGui::BeginChild(side == 0 ? "##answer_a" : "##answer_b", ImVec2(pw, ph), true);
        {
            FontScope f(fonts().big);
            ImGui::TextUnformatted(side == 0 ? "A" : "B");
        }
        ImGui::SameLine();
        ImGui::SetCursorPosY(ImGui::GetCursorPosY() + 8);
        if (playing) pill("\xE2\x96\xB6 playing", palette::text, false);
        else if (!played) pill("waiting", palette::text_faint, false);
        else pill("played", palette::text_faint, false);
        ImGui::Spacing();
        std::vector<AnswerWord> words;
        if (at >= 0) {
            const size_t due = headstart::words_due(r, at);
            for (size_t i = 0; i < r.words.size(); ++i) {
                AnswerWord w;
                w.text = r.words[i].word;
                w.style = r.words[i].style;
                w.shown = i < due;
                w.shown_ms = r.words[i].shown_ms;
                words.push_back(std::move(w));
            }
        }
        AnswerAnimation anim;
        anim.now_ms = at;
        anim.retract_ms = r.retract_ms;
        anim.as_user_sees = true;
        {
            FontScope f(fonts().reading);
            if (playing && headstart::words_due(r, at) == 0) {
                // The participant sees the question asked and nothing yet: a blinking caret.
                if (static_cast<int>(now_s * 2.5) % 2 == 0)
                    ImGui::TextColored(to_vec4(palette::text_dim), "\xE2\x96\x8D");
            } else {
                draw_answer(words, anim, ImGui::GetContentRegionAvail().x - 4);
            }
        }
        ImGui::EndChild();
    }
}

void StudyView::draw(const StudyDrivers& d, double now_s, ImVec2 size) {
    if (!store_) set_store(nullptr);
    const float left_w = 300.0f, gap = 12.0f;
    ImGui::BeginChild("##study_left", ImVec2(left_w, size.y), false);
    draw_session(d, now_s, left_w - 8);
    ImGui::Spacing();
    ImGui::Separator();
    ImGui::Spacing();
    draw_summary(left_w - 8);
    ImGui::EndChild();
    ImGui::SameLine(0, gap);
    ImGui::BeginChild("##study_pair", ImVec2(size.x - left_w - gap, size.y), false);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    draw_pair(now_s, ImVec2(avail.x, avail.y));
    if (phase_ == Phase::Rating || (phase_ == Phase::Idle && !a_.words.empty())) {
        ImGui::Spacing();
        const bool can_rate = phase_ == Phase::Rating;
        ImGui::BeginDisabled(!can_rate);
        const float bw = (avail.x - 3 * gap - 100) / 3.0f;
        big_button_style(palette::text_dim);
        if (ImGui::Button("A is better", ImVec2(bw, 40))) rate(headstart::Rating::ABetter, now_s);
        ImGui::SameLine(0, gap);
        if (ImGui::Button("About the same", ImVec2(bw, 40))) rate(headstart::Rating::Equivalent, now_s);
        ImGui::SameLine(0, gap);
        if (ImGui::Button("B is better", ImVec2(bw, 40))) rate(headstart::Rating::BBetter, now_s);
        ImGui::PopStyleColor(3);
        ImGui::SameLine(0, gap);
        if (ImGui::Button("Replay", ImVec2(100, 40))) replay(now_s);
        ImGui::EndDisabled();
    }
    ImGui::EndChild();
}

nlohmann::json StudyView::state() const {
    const headstart::StudySummary s = headstart::summarize(trials_);
    const auto prop = [](const headstart::Proportion& p) {
        return nlohmann::json{{"count", p.count}, {"n", p.n}, {"p", p.p}, {"lo", p.lo}, {"hi", p.hi}};
    };
    nlohmann::json j = {{"phase", to_string(phase_)},
                        {"participant", participant_},
                        {"next_index", next_index_},
                        {"question", question_},
                        {"message", message_},
                        {"trials", static_cast<int>(trials_.size())},
                        {"store", store_ ? store_->describe() : std::string()},
                        {"durable", store_ && store_->durable()},
                        {"last_export", last_export_},
                        {"summary",
                         {{"n", s.n},
                          {"headstart", prop(s.headstart)},
                          {"equivalent", prop(s.equivalent)},
                          {"cloud_only", prop(s.cloud_only)}}}};
    // The pair's conditions are only revealed once it has been rated (the state is for tests and
    // the experimenter, but keep it blind while a participant is deciding).
    if (phase_ == Phase::Idle && !a_.words.empty())
        j["last_pair"] = {{"a", headstart::to_string(a_.condition)},
                          {"b", headstart::to_string(b_.condition)},
                          {"a_words", a_.words.size()},
                          {"b_words", b_.words.size()}};
    return j;
}

}  // namespace ui
