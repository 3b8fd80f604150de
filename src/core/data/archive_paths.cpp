#include "data/archive_paths.h"

#include <climits>

#include <pactown/errors.h>

namespace pactown {
namespace {

[[noreturn]] void reject(std::string_view name, const std::string& reason)
{
    throw UnsafeArchiveError("archive entry '" + std::string(name) + "' " + reason);
}

} // namespace

std::vector<std::string> splitArchivePath(std::string_view name)
{
    if (name.empty())
        reject(name, "has an empty name");
    if (name.front() == '/')
        reject(name, "has an absolute name");

    std::string_view rest = name;
    if (rest.back() == '/')
        rest.remove_suffix(1);

    std::vector<std::string> components;
    size_t start = 0;
    while (start <= rest.size()) {
        size_t end = rest.find('/', start);
        if (end == std::string_view::npos)
            end = rest.size();
        std::string_view component = rest.substr(start, end - start);
        if (component.empty())
            reject(name, "has an empty path component");
        if (component == "..")
            reject(name, "has a '..' component");
        if (component.size() > NAME_MAX)
            reject(name, "has a component longer than " + std::to_string(NAME_MAX) + " bytes");
        if (component != ".")
            components.emplace_back(component);
        start = end + 1;
    }
    if (components.empty())
        reject(name, "names no file");
    return components;
}

} // namespace pactown
