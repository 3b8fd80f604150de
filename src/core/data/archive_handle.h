#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <memory>
#include <string>

#include <pactown/errors.h>

namespace pactown {

struct ArchiveWriteFree {
    void operator()(struct archive* a) const { archive_write_free(a); }
};
struct ArchiveReadFree {
    void operator()(struct archive* a) const { archive_read_free(a); }
};
struct ArchiveEntryFree {
    void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

using ArchiveWriter = std::unique_ptr<struct archive, ArchiveWriteFree>;
using ArchiveReader = std::unique_ptr<struct archive, ArchiveReadFree>;
using ArchiveEntry = std::unique_ptr<struct archive_entry, ArchiveEntryFree>;

// libarchive's message for the last error of `a`, or a placeholder when it set none.
inline std::string archiveError(struct archive* a)
{
    const char* message = archive_error_string(a);
    return message ? message : "unknown libarchive error";
}

// Throws for a failed read of `a`: SystemError with the errno of a failed read of the input,
// UnsafeArchiveError for a stream that is corrupt or cut short. `where` names the entry.
[[noreturn]] inline void throwArchiveReadFailure(struct archive* a, const std::string& where)
{
    int error = archive_errno(a);
    if (error == EIO || error == EBADF || error == ENOMEM || error == EINTR || error == EAGAIN || error == ENXIO)
        throwSystemError("cannot read the archive " + where, error);
    throw UnsafeArchiveError("the archive is malformed or cut short " + where + ": " + archiveError(a));
}

} // namespace pactown
