#include "data/tenant_cleanup.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include <pactown/errors.h>

#include "data/fd_paths.h"
#include "data/tree_removal.h"

namespace pactown {
namespace {

// Collects failures so that one stuck entry does not keep the others.
class FailureList {
public:
    void add(const std::string& entry, const std::string& reason)
    {
        spdlog::debug("tenant cleanup: cannot remove {}: {}", entry, reason);
        if (count_++ == 0)
            first_ = entry + ": " + reason;
    }

    void throwIfAny(const std::string& operation) const
    {
        if (count_ > 0)
            throw SystemError(operation + " failed for " + std::to_string(count_) + " entries, the first is " + first_);
    }

private:
    unsigned count_ = 0;
    std::string first_;
};

void removeEntriesOwnedBy(uid_t uid, const std::filesystem::path& directory, FailureList& failures)
{
    UniqueFd dirFd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    std::vector<std::string> names;
    if (!dirFd && errno == ENOENT)
        return;
    if (!dirFd || !listDirectory(dirFd.get(), names)) {
        failures.add("'" + directory.string() + "'", std::strerror(errno));
        return;
    }

    for (const std::string& name : names) {
        struct stat st {};
        if (::fstatat(dirFd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_uid != uid)
            continue;
        try {
            removeTreeAt(dirFd.get(), name);
        } catch (const Error& error) {
            failures.add("'" + (directory / name).string() + "'", error.what());
        }
    }
}

} // namespace

void removeTemporaryFilesOf(uid_t uid, const std::vector<std::filesystem::path>& directories)
{
    FailureList failures;
    for (const std::filesystem::path& directory : directories)
        removeEntriesOwnedBy(uid, directory, failures);
    failures.throwIfAny("removing the temporary files of uid " + std::to_string(uid));
}

} // namespace pactown
