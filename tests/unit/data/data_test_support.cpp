#include "data_test_support.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "data/tree_removal.h"

namespace pactown::test {

TempTree::TempTree()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "pactown-data-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed for '" + pattern + "'");
    path_ = pattern;
    std::filesystem::permissions(path_, std::filesystem::perms(0755));
}

TempTree::~TempTree()
{
    try {
        removeTree(path_);
    } catch (const std::exception& error) {
        ADD_FAILURE() << "cannot remove the test tree '" << path_ << "': " << error.what();
    }
}

uid_t unusedUid()
{
    return 2'000'000'000u + static_cast<uid_t>(::getpid() % 1'000'000) * 2;
}

namespace {

la_ssize_t appendToString(struct archive*, void* data, const void* buffer, size_t length)
{
    static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
}

void addEntry(struct archive* archive, const ArchiveEntrySpec& spec)
{
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, spec.name.c_str());
    archive_entry_set_uid(entry, spec.uid);
    archive_entry_set_gid(entry, spec.gid);
    archive_entry_set_mtime(entry, 1700000000, 0);
    archive_entry_set_perm(entry, spec.mode);
    archive_entry_set_size(entry, 0);
    switch (spec.type) {
    case 'f':
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(spec.content.size()));
        break;
    case 'd': archive_entry_set_filetype(entry, AE_IFDIR); break;
    case 'l':
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, spec.link.c_str());
        break;
    case 'h':
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, spec.link.c_str());
        break;
    case 'c':
        archive_entry_set_filetype(entry, AE_IFCHR);
        archive_entry_set_rdev(entry, makedev(1, 1));
        break;
    case 'p': archive_entry_set_filetype(entry, AE_IFIFO); break;
    default: throw std::invalid_argument(std::string("unknown entry type ") + spec.type);
    }
    if (archive_write_header(archive, entry) < ARCHIVE_WARN)
        throw std::runtime_error("cannot write test entry '" + spec.name + "': " + archive_error_string(archive));
    if (spec.type == 'f' && !spec.content.empty())
        archive_write_data(archive, spec.content.data(), spec.content.size());
    archive_entry_free(entry);
}

std::string hashOf(const std::string& bytes)
{
    uint64_t hash = 1469598103934665603ULL;
    for (unsigned char byte : bytes)
        hash = (hash ^ byte) * 1099511628211ULL;
    return std::to_string(hash);
}

std::string readAll(const std::filesystem::path& path)
{
    std::ifstream stream(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(stream), {});
}

} // namespace

std::string buildArchive(const std::vector<ArchiveEntrySpec>& entries)
{
    std::string bytes;
    struct archive* archive = archive_write_new();
    archive_write_add_filter_gzip(archive);
    archive_write_set_format_pax_restricted(archive);
    archive_write_open(archive, &bytes, nullptr, appendToString, nullptr);
    for (const ArchiveEntrySpec& spec : entries)
        addEntry(archive, spec);
    archive_write_close(archive);
    archive_write_free(archive);
    return bytes;
}

int memoryFile(const std::string& bytes)
{
    int fd = ::memfd_create("archive", MFD_CLOEXEC);
    if (fd < 0 || ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
        ::lseek(fd, 0, SEEK_SET) != 0)
        throw std::runtime_error("cannot fill a memfd");
    return fd;
}

std::vector<std::string> listTree(const std::filesystem::path& root, bool withOwner)
{
    std::vector<std::string> lines;
    for (auto it = std::filesystem::recursive_directory_iterator(root); it != std::filesystem::recursive_directory_iterator(); ++it) {
        const std::filesystem::path& path = it->path();
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0)
            throw std::runtime_error("lstat failed for '" + path.string() + "'");
        std::ostringstream line;
        line << std::filesystem::relative(path, root).string() << " mode=" << std::oct << (st.st_mode & 07777) << std::dec;
        if (withOwner)
            line << " owner=" << st.st_uid << ":" << st.st_gid;
        if (S_ISREG(st.st_mode))
            line << " file size=" << st.st_size << " hash=" << hashOf(readAll(path));
        else if (S_ISLNK(st.st_mode))
            line << " link=" << std::filesystem::read_symlink(path).string();
        else if (S_ISDIR(st.st_mode))
            line << " dir";
        else
            line << " other";
        lines.push_back(line.str());
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

std::vector<std::string> archiveNames(int fd)
{
    ::lseek(fd, 0, SEEK_SET);
    struct archive* archive = archive_read_new();
    archive_read_support_filter_gzip(archive);
    archive_read_support_format_tar(archive);
    std::vector<std::string> names;
    if (archive_read_open_fd(archive, fd, 65536) == ARCHIVE_OK) {
        struct archive_entry* entry = nullptr;
        while (archive_read_next_header(archive, &entry) == ARCHIVE_OK)
            names.emplace_back(archive_entry_pathname(entry));
    }
    archive_read_free(archive);
    return names;
}

std::string decompressedArchive(int fd)
{
    ::lseek(fd, 0, SEEK_SET);
    struct archive* archive = archive_read_new();
    archive_read_support_filter_gzip(archive);
    archive_read_support_format_raw(archive);
    std::string bytes;
    struct archive_entry* entry = nullptr;
    if (archive_read_open_fd(archive, fd, 65536) == ARCHIVE_OK && archive_read_next_header(archive, &entry) == ARCHIVE_OK) {
        char buffer[65536];
        for (la_ssize_t got; (got = archive_read_data(archive, buffer, sizeof buffer)) > 0;)
            bytes.append(buffer, static_cast<size_t>(got));
    }
    archive_read_free(archive);
    return bytes;
}

int runAs(uid_t uid, gid_t gid, const std::function<bool()>& body)
{
    pid_t pid = ::fork();
    if (pid < 0) {
        ADD_FAILURE() << "fork failed";
        return -1;
    }
    if (pid == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
            ::_exit(125);
        ::_exit(body() ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void writeFile(const std::filesystem::path& path, const std::string& content, unsigned mode)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    std::filesystem::permissions(path, std::filesystem::perms(mode));
}

} // namespace pactown::test
