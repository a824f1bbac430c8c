// Sessions that end, what they cost: the bearer stage verifies a token's signature and claims
// on every request to an auth route anyway (the baseline), and now also asks the store of ended
// sessions whether that token is refused (a shared lock and two hash lookups). Printed: ns per
// check for the baseline and for verify + the store's check with an empty and a full store
// (100,000 token ids and 100,000 subjects), as ratios to the baseline; and what a change costs
// at full (the whole file rewritten and fsynced) and what loading a full file at start costs.
//
//   berth_bench_sessions [iterations=200000]
#include "auth/revocations.hpp"
#include "auth/token_service.hpp"

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>
#include <vector>

namespace {

namespace auth = berth::host::auth;
using clock_type = std::chrono::steady_clock;

double ns_per(clock_type::duration d, long n) { return std::chrono::duration<double, std::nano>(d).count() / n; }

// A store file with `n` token ids and `n - 1` subjects (room for the one change timed), none of
// them the benchmark's token.
void write_full_store(const std::filesystem::path& file, long n) {
    const auto far = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count() + 3'000'000;
    nlohmann::json tokens = nlohmann::json::array(), subjects = nlohmann::json::array();
    for (long i = 0; i < n; ++i) {
        char jti[33];
        std::snprintf(jti, sizeof jti, "%032lx", i + 1);
        tokens.push_back({{"jti", jti}, {"until_ms", far}});
        if (i + 1 < n)
            subjects.push_back({{"sub", "user-" + std::to_string(i)}, {"not_before_ms", far - 3'000'000}, {"until_ms", far}});
    }
    std::ofstream(file) << nlohmann::json{{"version", 1}, {"token_ttl_s", 3600}, {"long_until_ms", 0}, {"token_ids", tokens},
                                          {"subjects", subjects}}.dump();
    ::chmod(file.c_str(), 0600);
}

// ns per verify + store check of `token` (never refused: the store holds other tokens).
template <class Check>
double time_checks(long n, Check check) {
    volatile bool sink = false;
    const auto t0 = clock_type::now();
    for (long i = 0; i < n; ++i) sink = check();
    const auto elapsed = clock_type::now() - t0;
    (void)sink;
    return ns_per(elapsed, n);
}

}  // namespace

int main(int argc, char** argv) {
    const long n = argc > 1 ? std::atol(argv[1]) : 200'000;
    const long full = 100'000;
    char tmpl[] = "/tmp/berth-bench-sessions-XXXXXX";
    const std::filesystem::path dir = ::mkdtemp(tmpl);
    const berth::host::auth_config cfg{dir / "token.key", "bench", 3600};

    auth::revocations empty(dir / "empty.json");
    write_full_store(dir / "full.json", full);
    const auto load0 = clock_type::now();
    auth::revocations loaded(dir / "full.json");
    const double load_ms = std::chrono::duration<double, std::milli>(clock_type::now() - load0).count();

    auth::token_service plain(cfg);
    const std::string token = plain.issue("42", "user").token;
    auto verify_only = [&] { return std::holds_alternative<auth::token_service::verified>(plain.verify(token)); };
    auto verify_and = [&](const auth::revocations& store) {
        auto v = plain.verify(token);
        auto* ok = std::get_if<auth::token_service::verified>(&v);
        return ok && !store.refused(ok->subject, ok->jti, ok->iat_ms);
    };
    verify_only();  // warm
    // Interleaved rounds, medians: a shared machine's drift falls on all three alike.
    constexpr int rounds = 21;
    std::vector<double> base_ns, empty_ns, full_ns;
    for (int r = 0; r < rounds; ++r) {
        base_ns.push_back(time_checks(n / rounds, verify_only));
        empty_ns.push_back(time_checks(n / rounds, [&] { return verify_and(empty); }));
        full_ns.push_back(time_checks(n / rounds, [&] { return verify_and(loaded); }));
    }
    auto median = [](std::vector<double> v) {
        std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
        return v[v.size() / 2];
    };
    const double base = median(base_ns), with_e = median(empty_ns), with_f = median(full_ns);

    const auto change0 = clock_type::now();
    loaded.end_sessions("bench-user");
    const double change_ms = std::chrono::duration<double, std::milli>(clock_type::now() - change0).count();

    std::printf("sessions bench: %ld checks each, the full store at %ld token ids + %ld subjects\n", n, full, full - 1);
    std::printf("  verify (baseline)            %8.0f ns   (median of %d interleaved rounds)\n", base, rounds);
    std::printf("  verify + store, empty        %8.0f ns   ratio %.3f\n", with_e, with_e / base);
    std::printf("  verify + store, full         %8.0f ns   ratio %.3f\n", with_f, with_f / base);
    std::printf("  one end_sessions at full     %8.1f ms   (the file rewritten and fsynced)\n", change_ms);
    std::printf("  loading the full file        %8.1f ms   (at start)\n", load_ms);
    std::filesystem::remove_all(dir);
    return 0;
}
