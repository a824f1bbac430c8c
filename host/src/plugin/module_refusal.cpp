// module::record_refusal(): a swap the breaking-change gate refused (deploy/deployer.cpp).
#include "plugin/module.hpp"

#include "contract/compat.hpp"

#include <spdlog/spdlog.h>

namespace berth::host::plugin {

swap_result module::record_refusal(std::vector<contract_change> changes, const std::string& trigger,
                                   const std::filesystem::path& library) {
    const std::size_t count = changes.size();
    spdlog::error("[{}] swap ({}) to {} refused: {} breaking change(s) to the contract; the active generation keeps serving",
                  config().name, trigger, library.string(), count);
    for (std::size_t i = 0; i < count && i < contract::max_listed_changes; ++i)
        spdlog::error("[{}]   {} {} {} at '{}': {}", config().name, changes[i].kind, changes[i].method, changes[i].path,
                      changes[i].pointer, changes[i].message);
    refusal_snapshot refusal{std::chrono::system_clock::now(), trigger, library, count, changes};
    if (refusal.changes.size() > contract::max_listed_changes) refusal.changes.resize(contract::max_listed_changes);
    swap_result r;
    r.outcome = swap_outcome::refused;
    r.detail = "the new build breaks the contract being served (" + std::to_string(count) +
               " breaking change(s)); the active generation keeps serving";
    r.breaking = std::move(changes);
    {
        std::lock_guard lock(mutex_);
        last_refusal_ = std::move(refusal);
        ++counters_.refused_breaking;
    }
    collect_shadows();  // the refused build's copy: each distinct refused build would leave one
    return r;
}

}  // namespace berth::host::plugin
