#include "data/home_exporter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <pactown/errors.h>

#include "data/archive_handle.h"
#include "data/fd_paths.h"
#include "data/inode_id.h"
#include "data/progress_reporter.h"
#include "data/tree_walker.h"

namespace pactown {
namespace {

constexpr size_t copyBufferSize = 128 * 1024;

// Sums the sizes of regular files, each inode once: the content the export will read.
class ContentSizer : public TreeVisitor {
public:
    bool enter(const WalkEntry& entry) override
    {
        const struct stat& st = entry.st;
        if (S_ISREG(st.st_mode) && (st.st_nlink == 1 || seen_.insert(InodeId::of(st)).second))
            total += static_cast<uint64_t>(st.st_size);
        return S_ISDIR(st.st_mode);
    }
    void unreadable(const WalkEntry&, int) override {}
    void mountPoint(const WalkEntry&) override {}

    uint64_t total = 0;

private:
    std::unordered_set<InodeId, InodeIdHash> seen_;
};

// The data regions of a file, as (offset, length), found with SEEK_DATA and SEEK_HOLE.
std::vector<std::pair<off_t, off_t>> dataRegions(int fd, off_t size)
{
    std::vector<std::pair<off_t, off_t>> regions;
    off_t offset = 0;
    while (offset < size) {
        off_t data = ::lseek(fd, offset, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            break;
        if (data < 0)
            return {{0, size}}; // the filesystem cannot tell; treat the file as dense
        off_t hole = ::lseek(fd, data, SEEK_HOLE);
        if (hole < 0 || hole > size)
            hole = size;
        regions.emplace_back(data, hole - data);
        offset = hole;
    }
    return regions;
}

class HomeArchiver : public TreeVisitor {
public:
    HomeArchiver(struct archive* archive, ProgressReporter& progress) : archive_(archive), progress_(progress) {}

    void writeManifest(const nlohmann::json& manifest)
    {
        std::string text = manifest.dump(2) + "\n";
        ArchiveEntry entry(archive_entry_new());
        archive_entry_set_pathname(entry.get(), "manifest.json");
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0600);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(text.size()));
        archive_entry_set_mtime(entry.get(), std::time(nullptr), 0);
        writeHeader(entry.get(), "manifest.json");
        writeData(text.data(), text.size(), "manifest.json");
    }

    void writeRoot(const struct stat& st)
    {
        ArchiveEntry entry = newEntry("home/", st);
        writeHeader(entry.get(), "home/");
    }

    bool enter(const WalkEntry& entry) override
    {
        mode_t type = entry.st.st_mode & S_IFMT;
        if (type == S_IFDIR) {
            writeHeader(newEntry("home/" + entry.path + "/", entry.st).get(), entry.path);
            return true;
        }
        if (type == S_IFREG)
            writeRegular(entry);
        else if (type == S_IFLNK)
            writeSymlink(entry);
        else
            spdlog::debug("export: '{}' is a socket, FIFO or device, left out", entry.path);
        return false;
    }

    void unreadable(const WalkEntry& entry, int error) override
    {
        throwSystemError("cannot read '" + entry.path + "' of the home", error);
    }

    void mountPoint(const WalkEntry& entry) override
    {
        spdlog::debug("export: '{}' is on another filesystem, its contents are left out", entry.path);
    }

private:
    ArchiveEntry newEntry(const std::string& name, const struct stat& st)
    {
        ArchiveEntry entry(archive_entry_new());
        archive_entry_set_pathname(entry.get(), name.c_str());
        archive_entry_set_mode(entry.get(), st.st_mode);
        archive_entry_set_uid(entry.get(), st.st_uid);
        archive_entry_set_gid(entry.get(), st.st_gid);
        archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        return entry;
    }

    void writeHeader(struct archive_entry* entry, const std::string& path)
    {
        // ARCHIVE_WARN only reports that a name could not be converted to UTF-8; it is then
        // stored as raw bytes, which is what a file name on Linux is.
        if (archive_write_header(archive_, entry) < ARCHIVE_WARN)
            throw SystemError("cannot write the archive header of '" + path + "': " + archiveError(archive_));
    }

    void writeData(const void* data, size_t size, const std::string& path)
    {
        if (size > 0 && archive_write_data(archive_, data, size) < 0)
            throw SystemError("cannot write '" + path + "' to the archive: " + archiveError(archive_));
    }

    void writeRegular(const WalkEntry& entry);
    void writeContent(int fd, const struct stat& st, struct archive_entry* header, const std::string& path);
    void writeSymlink(const WalkEntry& entry);

    struct archive* archive_;
    ProgressReporter& progress_;
    // First archive name of each inode with several links; later names become hard links to it.
    std::unordered_map<InodeId, std::string, InodeIdHash> firstNames_;
    std::vector<char> buffer_ = std::vector<char>(copyBufferSize);
    const std::vector<char> zeros_ = std::vector<char>(copyBufferSize);
};

void HomeArchiver::writeRegular(const WalkEntry& entry)
{
    std::string name = "home/" + entry.path;
    if (entry.st.st_nlink > 1) {
        auto [it, inserted] = firstNames_.try_emplace(InodeId::of(entry.st), name);
        if (!inserted) {
            ArchiveEntry link = newEntry(name, entry.st);
            archive_entry_set_size(link.get(), 0);
            archive_entry_set_hardlink(link.get(), it->second.c_str());
            writeHeader(link.get(), entry.path);
            return;
        }
    }

    // O_NONBLOCK keeps the open from hanging should the name have become a FIFO.
    UniqueFd fd(::openat(entry.parentFd, entry.name.c_str(),
                         O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0)
        throwSystemError("cannot open '" + entry.path + "' of the home", errno);
    if (!S_ISREG(st.st_mode) || InodeId::of(st) != InodeId::of(entry.st))
        throw SystemError("'" + entry.path + "' of the home was replaced during the export");

    ArchiveEntry header = newEntry(name, st);
    archive_entry_set_size(header.get(), st.st_size);
    writeContent(fd.get(), st, header.get(), entry.path);
}

// Writes the header and st_size bytes. For a sparse file the holes are declared in the header
// and passed as zeros, which libarchive's pax writer skips instead of storing. A file that
// shrinks meanwhile is padded with zeros, so the entry always has the size of its header.
void HomeArchiver::writeContent(int fd, const struct stat& st, struct archive_entry* header, const std::string& path)
{
    std::vector<std::pair<off_t, off_t>> regions{{0, st.st_size}};
    if (static_cast<uint64_t>(st.st_blocks) * 512 < static_cast<uint64_t>(st.st_size)) {
        regions = dataRegions(fd, st.st_size);
        for (const auto& [offset, length] : regions)
            archive_entry_sparse_add_entry(header, offset, length);
        if (regions.empty())
            archive_entry_sparse_add_entry(header, st.st_size, 0);
    }
    writeHeader(header, path);

    off_t position = 0;
    auto feed = [&](off_t end, bool hole) {
        while (position < end) {
            size_t chunk = static_cast<size_t>(std::min<off_t>(end - position, copyBufferSize));
            ssize_t got = hole ? 0 : ::pread(fd, buffer_.data(), chunk, position);
            if (got < 0)
                throwSystemError("cannot read '" + path + "' of the home", errno);
            const char* data = got > 0 ? buffer_.data() : zeros_.data();
            size_t size = got > 0 ? static_cast<size_t>(got) : chunk;
            writeData(data, size, path);
            position += static_cast<off_t>(size);
            progress_.add(size);
        }
    };
    for (const auto& [offset, length] : regions) {
        feed(offset, true);
        feed(offset + length, false);
    }
    feed(st.st_size, true);
}

void HomeArchiver::writeSymlink(const WalkEntry& entry)
{
    std::vector<char> target(static_cast<size_t>(entry.st.st_size) + 2);
    ssize_t length = ::readlinkat(entry.parentFd, entry.name.c_str(), target.data(), target.size());
    if (length < 0)
        throwSystemError("cannot read the link '" + entry.path + "' of the home", errno);
    if (static_cast<size_t>(length) >= target.size())
        throw SystemError("the link '" + entry.path + "' of the home changed during the export");
    target[static_cast<size_t>(length)] = '\0';

    ArchiveEntry header = newEntry("home/" + entry.path, entry.st);
    archive_entry_set_size(header.get(), 0);
    archive_entry_set_symlink(header.get(), target.data());
    writeHeader(header.get(), entry.path);
}

ArchiveWriter openArchiveWriter(int outFd)
{
    ArchiveWriter archive(archive_write_new());
    if (!archive)
        throw SystemError("cannot create an archive writer");
    if (archive_write_add_filter_gzip(archive.get()) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(archive.get()) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(archive.get(), 1) != ARCHIVE_OK ||
        archive_write_open_fd(archive.get(), outFd) != ARCHIVE_OK)
        throw SystemError("cannot start the archive: " + archiveError(archive.get()));
    return archive;
}

} // namespace

void exportHome(const std::filesystem::path& home, const nlohmann::json& manifest, int outFd,
                const ProgressCallback& progress)
{
    UniqueFd homeFd = openTrustedDirectory(home);
    struct stat rootStat {};
    if (::fstat(homeFd.get(), &rootStat) != 0)
        throwSystemError("cannot examine '" + home.string() + "'", errno);

    ContentSizer sizer;
    walkTree(homeFd.get(), sizer);
    ProgressReporter reporter(progress, sizer.total);

    ArchiveWriter archive = openArchiveWriter(outFd);
    HomeArchiver archiver(archive.get(), reporter);
    archiver.writeManifest(manifest);
    archiver.writeRoot(rootStat);
    walkTree(homeFd.get(), archiver);
    if (archive_write_close(archive.get()) != ARCHIVE_OK)
        throw SystemError("cannot finish the archive: " + archiveError(archive.get()));
    reporter.finish();
}

} // namespace pactown
