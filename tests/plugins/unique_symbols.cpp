// unique_symbols: built WITHOUT -fno-gnu-unique, so its inline function static becomes
// STB_GNU_UNIQUE and glibc would never unload it. The hygiene check must refuse it.
#include <berth/plugin.hpp>

namespace {
class unique_symbols final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"unique_symbols", "1.0.0"};
    void routes(berth::router&) override {}
};
}  // namespace

// An inline function with a static local, with default visibility: a classic UNIQUE symbol.
__attribute__((visibility("default"))) inline int& unique_counter() {
    static int counter = 0;
    return counter;
}
extern "C" __attribute__((visibility("default"))) int berth_touch_unique() { return ++unique_counter(); }

BERTH_PLUGIN(unique_symbols)
