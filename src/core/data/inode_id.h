#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>

namespace pactown {

// Identity of an inode, to recognise a file met under several names.
struct InodeId {
    dev_t device = 0;
    ino_t inode = 0;

    static InodeId of(const struct stat& st) { return {st.st_dev, st.st_ino}; }
    bool operator==(const InodeId&) const = default;
};

struct InodeIdHash {
    size_t operator()(const InodeId& id) const noexcept
    {
        return std::hash<uint64_t>()(static_cast<uint64_t>(id.inode) * 0x9e3779b97f4a7c15ULL ^ id.device);
    }
};

} // namespace pactown
