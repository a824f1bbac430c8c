#include "plugin/module_set.hpp"

namespace berth::host::plugin {

std::shared_ptr<const module_set::list> module_set::snapshot() const {
    std::lock_guard lock(mutex_);
    return list_;
}

std::shared_ptr<module> module_set::find(std::string_view name) const {
    auto now = snapshot();
    for (auto& m : *now)
        if (m->config().name == name) return m;
    return nullptr;
}

void module_set::add(std::shared_ptr<module> m) {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<list>(*list_);
    next->push_back(std::move(m));
    list_ = std::move(next);
}

std::shared_ptr<module> module_set::remove(std::string_view name) {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<list>();
    std::shared_ptr<module> out;
    for (auto& m : *list_) {
        if (!out && m->config().name == name)
            out = m;
        else
            next->push_back(m);
    }
    if (out) list_ = std::move(next);
    return out;
}

module_set::list module_set::clear() {
    std::lock_guard lock(mutex_);
    list out = *list_;
    list_ = std::make_shared<const list>();
    return out;
}

}  // namespace berth::host::plugin
