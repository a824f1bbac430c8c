// unique_symbols: built WITHOUT -fno-gnu-unique, so its inline function static becomes
// STB_GNU_UNIQUE and glibc would never unload it. The hygiene check must refuse it.
#include <berth/plugin.hpp>

// The swap tests build it under another plugin name, to replace it with a hygienic build.
#ifndef UNIQUE_SYMBOLS_NAME
#define UNIQUE_SYMBOLS_NAME "unique_symbols"
#endif

namespace {
class unique_symbols final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{UNIQUE_SYMBOLS_NAME, "1.0.0"};
    void routes(berth::router&) override {}
};
}  // namespace

// An inline function with a static local, with default visibility: a classic UNIQUE symbol.
// Each build gets its own (by the tag): two builds sharing one unique symbol would bind to the
// first one loaded, and only that one would stay mapped.
#ifndef UNIQUE_SYMBOLS_TAG
#define UNIQUE_SYMBOLS_TAG 0
#endif
#define UNIQUE_SYMBOLS_CAT2(a, b) a##b
#define UNIQUE_SYMBOLS_CAT(a, b) UNIQUE_SYMBOLS_CAT2(a, b)
#define unique_counter UNIQUE_SYMBOLS_CAT(unique_counter_, UNIQUE_SYMBOLS_TAG)
__attribute__((visibility("default"))) inline int& unique_counter() {
    static int counter = 0;
    return counter;
}
extern "C" __attribute__((visibility("default"))) int berth_touch_unique() { return ++unique_counter(); }

BERTH_PLUGIN(unique_symbols)
