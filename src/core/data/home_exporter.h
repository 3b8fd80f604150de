#pragma once

#include <filesystem>

#include <nlohmann/json_fwd.hpp>

#include <pactown/progress.h>

namespace pactown {

// Writes a tar.gz (pax format) of the tree below home to outFd: first "manifest.json" holding
// `manifest`, then "home/" and every entry below it as "home/<relative path>". Directories,
// regular files (sparse ones with their holes), symbolic links (as links, never followed) and
// hard links (as links to the first name) are stored with their mode, numeric owner and mtime.
// Sockets, FIFOs and devices are left out. Every file is opened with O_NOFOLLOW relative to its
// directory's descriptor, so replacing a directory by a link during the export cannot make it
// read outside the home. Other filesystems mounted below the home are left out.
// Progress counts bytes of file content; the total is measured before the export starts.
// Throws SystemError when an entry cannot be read, changes type during the export, or the
// archive cannot be written.
void exportHome(const std::filesystem::path& home, const nlohmann::json& manifest, int outFd,
                const ProgressCallback& progress = {});

} // namespace pactown
