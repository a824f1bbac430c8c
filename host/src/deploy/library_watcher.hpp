// Notices when a configured plugin file is replaced, and says which module to reload.
//
// Deploy contract: write the new file beside the configured path under another name and
// rename() it into place. An inotify watch sits on each *directory* (a rename replaces the
// inode, so a watch on the file would go stale): IN_CLOSE_WRITE | IN_MOVED_TO on a configured
// file name arms a debounce; IN_Q_OVERFLOW means "rescan everything". A slow polling rescan
// (size, mtime, inode) is the fallback for filesystems without inotify. Before it triggers, the
// size must be stable across two looks; the loader then checks the ELF magic and the rest.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace berth::host::deploy {

class library_watcher {
public:
    struct watched {
        std::string module;
        std::filesystem::path library;
    };
    struct timing {
        std::chrono::milliseconds debounce{200};
        std::chrono::milliseconds poll{2000};
    };
    using trigger = std::function<void(const std::string& module)>;

    library_watcher(std::vector<watched> files, timing t, trigger on_change);
    ~library_watcher();  // stops the thread
    library_watcher(const library_watcher&) = delete;
    library_watcher& operator=(const library_watcher&) = delete;

    void start();
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace berth::host::deploy
