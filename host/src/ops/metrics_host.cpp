#include "ops/metrics_host.hpp"

#include "auth/revocations.hpp"
#include "auth/token_service.hpp"
#include "ops/metrics_requests.hpp"
#include "ops/metrics_workers.hpp"
#include "ops/process_stats.hpp"
#include "plugin/load_steps.hpp"

namespace berth::host::ops {

namespace {

std::string swap_reason(const nlohmann::json& fields, const std::string& outcome) {
    if (outcome == "refused") return "breaking_change";
    if (outcome != "failed") return "none";
    auto step = fields.find("step");
    // A step the loader does not list is "other": an event never makes an unbounded label.
    if (step == fields.end() || !step->is_string()) return "other";
    const auto& name = step->get_ref<const std::string&>();
    return plugin::is_load_step(name) ? name : "other";
}

void collect_tokens(exposition& out, const auth::token_service& tokens) {
    out.family("berth_tokens_issued_total", exposition::kind::counter,
               "Bearer tokens the host signed (POST /tokens and modules through the host API).");
    out.sample("berth_tokens_issued_total", {}, static_cast<double>(tokens.issued_count()));
    out.family("berth_tokens_refused_total", exposition::kind::counter,
               "Requests to routes that need a bearer token, refused, by reason.");
    for (std::size_t i = 0; i < auth::token_refusal_kinds; ++i) {
        const auto r = static_cast<auth::token_refusal>(i);
        out.sample("berth_tokens_refused_total", {{"reason", auth::to_string(r)}}, static_cast<double>(tokens.refused_count(r)));
    }
    if (const auto* revoked = tokens.revoked()) {  // issue 12: how near the store is to its bounds
        out.family("berth_ended_sessions", exposition::kind::gauge,
                   "Entries of the ended-sessions store: token ids and subjects (each bounded at 100000).");
        out.sample("berth_ended_sessions", {{"table", "token_ids"}}, static_cast<double>(revoked->token_ids()));
        out.sample("berth_ended_sessions", {{"table", "subjects"}}, static_cast<double>(revoked->subjects()));
    }
}

void collect_process(exposition& out) {
    const auto p = read_process_stats();
    out.family("berth_process_resident_memory_bytes", exposition::kind::gauge, "Resident memory of the host process.");
    out.sample("berth_process_resident_memory_bytes", {}, static_cast<double>(p.resident_bytes));
    out.family("berth_process_open_fds", exposition::kind::gauge, "Open file descriptors of the host process.");
    out.sample("berth_process_open_fds", {}, static_cast<double>(p.open_descriptors));
    out.family("berth_process_threads", exposition::kind::gauge, "Threads of the host process.");
    out.sample("berth_process_threads", {}, static_cast<double>(p.threads));
}

}  // namespace

std::shared_ptr<metrics> make_host_metrics(telemetry& streams, const auth::token_service* tokens) {
    auto registry = std::make_shared<metrics>();
    auto requests = std::make_shared<request_metrics>();
    streams.on_request([requests](const request_record& r) { requests->observe(r); });
    registry->add_collector([requests](exposition& out) { requests->collect(out); });

    auto swaps = std::make_shared<labelled_counter>(
        "berth_swaps_total",
        "Swaps by module, outcome (swapped, unchanged, failed, refused) and reason (the failed step, or breaking_change).",
        std::vector<std::string>{"module", "outcome", "reason"});
    streams.on_event([swaps](const event& e) {
        if (e.kind != "swap") return;
        auto outcome = e.fields.value("outcome", std::string("unknown"));
        if (outcome != "swapped" && outcome != "unchanged" && outcome != "failed" && outcome != "refused")
            outcome = "unknown";
        swaps->add({e.module, outcome, swap_reason(e.fields, outcome)});
    });
    registry->add_collector([swaps](exposition& out) { swaps->collect(out); });
    count_worker_events(*registry, streams);

    if (tokens) registry->add_collector([tokens](exposition& out) { collect_tokens(out, *tokens); });
    registry->add_collector(collect_process);
    return registry;
}

}  // namespace berth::host::ops
