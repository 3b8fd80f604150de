#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <string>

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

} // namespace pactown
