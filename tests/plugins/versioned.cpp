// versioned: one plugin built as several versions (see tests/CMakeLists.txt) so tests can run
// majors side by side: 1.x serves only /v1, 2.x only /v2.
//   VERSIONED_VERSION  the version it reports
//   VERSIONED_MAJOR    the one major its routes are under
//   VERSIONED_EXTRA    1: an additive route (GET /v{major}/notes) besides the others
#include <berth/plugin.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#ifndef VERSIONED_VERSION
#define VERSIONED_VERSION "1.0.0"
#endif
#ifndef VERSIONED_MAJOR
#define VERSIONED_MAJOR 1
#endif
#ifndef VERSIONED_EXTRA
#define VERSIONED_EXTRA 0
#endif

namespace {

const std::string prefix = "/v" + std::to_string(VERSIONED_MAJOR);

class versioned final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"versioned", VERSIONED_VERSION};

    void routes(berth::router& r) override {
        r.get(prefix + "/version", [](const berth::request&) {
            return berth::response::json(200, {{"version", VERSIONED_VERSION}, {"major", VERSIONED_MAJOR}});
        });
        // Held until the file <data_dir>/versioned.release exists (at most 30 s): a request the
        // test keeps in flight across a swap or a retire, released when it says so. It first
        // makes <data_dir>/versioned.holding, so a test can tell the handler has the request
        // (in a worker process, the host counts it in flight before the worker has it).
        r.get(prefix + "/hold", [this](const berth::request&) {
            std::ofstream(std::filesystem::path(data_dir_) / "versioned.holding") << "holding\n";
            const auto release = std::filesystem::path(data_dir_) / "versioned.release";
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (!std::filesystem::exists(release) && std::chrono::steady_clock::now() < until)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            return berth::response::json(200, {{"version", VERSIONED_VERSION}, {"released", std::filesystem::exists(release)}});
        });
        // An in-process call to another module: GET `path` on module `to`; answers what it got.
        r.get(prefix + "/relay", [this](const berth::request& req) {
            auto got = context_->call(req.query("to").value_or(""), "GET", req.query("path").value_or(""));
            return berth::response::json(200, {{"status", got.status}, {"body", got.json()}});
        });
        if (VERSIONED_EXTRA)
            r.get(prefix + "/notes", [](const berth::request&) {
                return berth::response::json(200, {{"notes", "added in " VERSIONED_VERSION}});
            });
    }

    void start(const berth::context& c) override {
        context_ = &c;
        data_dir_ = c.data_dir();
    }

private:
    const berth::context* context_ = nullptr;  // valid for the instance's lifetime
    std::string data_dir_;
};

}  // namespace

BERTH_PLUGIN(versioned)
