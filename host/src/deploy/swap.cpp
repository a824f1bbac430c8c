#include "deploy/swap.hpp"

namespace berth::host::deploy {

prepared prepare_generation(const std::filesystem::path& library, const swap_target& target,
                            const swap_settings& settings) {
    auto image = read_library(library, settings.policy);
    if (auto* f = std::get_if<plugin::load_failure>(&image)) return std::move(*f);
    auto& img = std::get<plugin::file_image>(image);
    if (!target.force_new && target.active && target.active->library()->sha256() == img.sha256) return unchanged{};

    auto opened = plugin::plugin_library::open(img, target.data_dir / "shadow", target.config.name);
    if (auto* f = std::get_if<plugin::load_failure>(&opened)) return std::move(*f);
    auto lib = std::get<std::shared_ptr<plugin::plugin_library>>(std::move(opened));

    // A module keeps its identity: another plugin behind the same name (and database) is refused
    // before anything of it runs.
    const std::string declared = lib->descriptor().name;
    const std::string expected = !target.config.plugin.empty() ? target.config.plugin
                                 : target.active                ? target.active->plugin_name()
                                                                : declared;
    if (declared != expected)
        return plugin::load_failure{"describe", library.string() + " is plugin '" + declared + "', but module '" +
                                                    target.config.name + "' serves plugin '" + expected + "'"};

    auto started = plugin::generation::start(std::move(lib), target.config, target.data_dir, target.number,
                                             settings.ready_timeout, target.services, target.admit);
    if (auto* f = std::get_if<plugin::load_failure>(&started)) return std::move(*f);
    return std::get<std::shared_ptr<plugin::generation>>(std::move(started));
}

}  // namespace berth::host::deploy
