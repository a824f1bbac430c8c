// wrong_abi: a descriptor from a future, incompatible ABI major.
#include <berth/plugin.hpp>

namespace {
class wrong_abi final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"wrong_abi", "9.0.0"};
    void routes(berth::router&) override {}
};
constexpr berth_plugin_descriptor make() {
    auto d = berth::detail::make_descriptor<wrong_abi>();
    d.abi_major = 99;
    return d;
}
}  // namespace

extern "C" __attribute__((visibility("default"))) const berth_plugin_descriptor berth_plugin = make();
