// host_code: an in-process plugin whose handle() returns the host's own worker codes
// (0x42500001 worker_lost, 0x42500002 worker_unavailable) with an error text of its own. The
// host honours those codes only from its stand-in for a worker (decision D8): this plugin must
// get the answer of any other failure (500), and its text must stay out of the answer.
//   GET /v1/lost         returns 0x42500001
//   GET /v1/unavailable  returns 0x42500002
#include <berth/plugin.hpp>

#include <string_view>

namespace {

class host_code final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"host_code", "1.0.0"};
    void routes(berth::router& r) override {
        r.get("/v1/lost", [](const berth::request&) { return berth::response::no_content(); });
        r.get("/v1/unavailable", [](const berth::request&) { return berth::response::no_content(); });
    }
};

constexpr std::string_view secret = "plugin-internal text: /srv/secret/db.sqlite";

int handle(void*, const berth_request* r, const berth_response_writer*, const berth_writer* error) {
    if (error && error->write) error->write(error->ctx, {secret.data(), secret.size()});
    const std::string_view path(r->path.data, r->path.size);
    return path == "/v1/lost" ? 0x42500001 : 0x42500002;
}

constexpr berth_plugin_descriptor make() {
    auto d = berth::detail::make_descriptor<host_code>();
    d.handle = &handle;
    return d;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const berth_plugin_descriptor berth_plugin = make();
