// The modules the host serves, as one copy-on-write list: readers (the runtime, the deploy
// thread's reaper and watcher, the admin API, services.call) take a snapshot per use and never
// lock while they work with it; only the deploy thread (and start/stop, before and after it
// runs) adds or removes, by publishing a new list.
#pragma once

#include "plugin/module.hpp"

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace berth::host::plugin {

class module_set {
public:
    using list = std::vector<std::shared_ptr<module>>;

    // Any thread: the list as it is now; it never changes once returned.
    std::shared_ptr<const list> snapshot() const;
    // Any thread: the module of that name in the current list, or null.
    std::shared_ptr<module> find(std::string_view name) const;

    // Deploy thread (or before it runs). Appends; the caller checked the name is free.
    void add(std::shared_ptr<module> m);
    // Deploy thread. Takes the module of that name out of the list; null when there is none.
    std::shared_ptr<module> remove(std::string_view name);
    // Deploy thread, at stop: empties the list and returns what it held.
    list clear();

private:
    mutable std::mutex mutex_;  // guards the pointer, not the list (which is immutable)
    std::shared_ptr<const list> list_ = std::make_shared<const list>();
};

}  // namespace berth::host::plugin
