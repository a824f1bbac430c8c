// wrong_arch: a descriptor whose fingerprint claims another architecture.
#include <berth/plugin.hpp>

namespace {
class wrong_arch final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"wrong_arch", "1.0.0"};
    void routes(berth::router&) override {}
};
constexpr berth_plugin_descriptor make() {
    auto d = berth::detail::make_descriptor<wrong_arch>();
    d.fingerprint = "sdk=" BERTH_SDK_VERSION ";arch=riscv64;pointer_bytes=8;compiler=gcc-12.2;cxx11_abi=1";
    return d;
}
}  // namespace

extern "C" __attribute__((visibility("default"))) const berth_plugin_descriptor berth_plugin = make();
