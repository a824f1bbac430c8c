// The worker figures of GET /metrics counted from the supervisor's events (issue 11, D9):
// exits by their reason_kind, a bounded label never read from text, and restart attempts.
#include "ops/metrics.hpp"
#include "ops/metrics_workers.hpp"
#include "ops/telemetry.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace berth::host {
namespace {

TEST(WorkerMetrics, ExitsAreCountedByReasonKindAndRestartsByEachAttempt) {
    ops::telemetry streams;
    ops::metrics registry;
    ops::count_worker_events(registry, streams);
    // As the supervisor emits them: a crash, a restart that failed, one that served, a handler
    // past its deadline, a bad frame, then the budget spent.
    streams.emit("worker_exit", "shop",
                 {{"pid", 41}, {"reason", "killed by signal 11 (SIGSEGV)"}, {"reason_kind", "signal"}, {"restarts", 0}});
    streams.emit("worker_restart", "shop",
                 {{"pid", 0}, {"restarts", 1}, {"outcome", "failed"}, {"reason", "the restart failed at step dlopen: x"}});
    streams.emit("worker_restart", "shop", {{"pid", 43}, {"restarts", 2}, {"outcome", "ok"}});
    streams.emit("worker_exit", "shop",
                 {{"pid", 43}, {"reason", "a handler ran past handler_timeout_ms (50 ms) on request r1"},
                  {"reason_kind", "deadline"}, {"restarts", 2}});
    streams.emit("worker_exit", "shop",
                 {{"pid", 44}, {"reason", "ended by the host: a bad frame"}, {"reason_kind", "host"}, {"restarts", 2}});
    streams.emit("worker_failed", "shop", {{"reason", "the module's worker failed 3 times in 60 s"}, {"restarts", 2}});
    streams.emit("swap", "shop", {{"outcome", "swapped"}});  // not a worker's
    const auto text = registry.render();
    for (const char* kind : {"signal", "deadline", "host"})
        EXPECT_NE(text.find(std::string("berth_worker_exits_total{module=\"shop\",reason=\"") + kind + "\"} 1"),
                  std::string::npos)
            << kind << "\n" << text;
    EXPECT_EQ(text.find("reason=\"exit\""), std::string::npos) << text;
    EXPECT_NE(text.find("berth_worker_restarts_total{module=\"shop\"} 2"), std::string::npos) << text;
}

TEST(WorkerMetrics, AnExitIsCountedUnderItsReasonKindOnly) {
    for (const char* kind : {"signal", "exit", "heartbeat", "deadline", "host"})
        EXPECT_EQ(ops::worker_exit_kind({{"reason_kind", kind}}), kind);
}

TEST(WorkerMetrics, AnExitWithoutAKnownReasonKindIsOtherWhateverItsText) {
    EXPECT_EQ(ops::worker_exit_kind({{"reason", "exited with status 3"}}), "other");  // no text parsing
    EXPECT_EQ(ops::worker_exit_kind({{"kind", "exit"}}), "other");                    // one spelling
    EXPECT_EQ(ops::worker_exit_kind({{"reason_kind", "anything\nelse"}}), "other");
    EXPECT_EQ(ops::worker_exit_kind({{"reason_kind", 7}}), "other");
    EXPECT_EQ(ops::worker_exit_kind(nlohmann::json::array()), "other");
}

}  // namespace
}  // namespace berth::host
