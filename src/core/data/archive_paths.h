#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pactown {

// Splits an archive entry name into its components after normalisation: a leading "./", "."
// components and one trailing '/' are dropped. Throws UnsafeArchiveError naming the entry when
// the name is empty, absolute, contains "..", an empty component, a component longer than
// NAME_MAX, or normalises to nothing.
std::vector<std::string> splitArchivePath(std::string_view name);

} // namespace pactown
