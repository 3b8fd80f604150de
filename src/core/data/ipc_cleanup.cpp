#include "data/tenant_cleanup.h"

#include <fcntl.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include <pactown/errors.h>

#include "data/fd_paths.h"

namespace pactown {
namespace {

constexpr long mqueueMagic = 0x19800202; // MQUEUE_MAGIC of linux/magic.h

struct IpcKind {
    const char* table; // file under /proc/sysvipc
    const char* idColumn;
    int (*remove)(int id);
};

const IpcKind ipcKinds[] = {
    {"shm", "shmid", [](int id) { return ::shmctl(id, IPC_RMID, nullptr); }},
    {"sem", "semid", [](int id) { return ::semctl(id, 0, IPC_RMID); }},
    {"msg", "msqid", [](int id) { return ::msgctl(id, IPC_RMID, nullptr); }},
};

std::vector<std::string> splitWords(const std::string& line)
{
    std::istringstream stream(line);
    std::vector<std::string> words;
    for (std::string word; stream >> word;)
        words.push_back(word);
    return words;
}

// The ids of the objects in one /proc/sysvipc table whose owner or creator is uid. The columns
// are found by their names in the header line, which differ between the tables.
std::vector<int> idsOwnedBy(uid_t uid, const IpcKind& kind)
{
    std::string path = std::string("/proc/sysvipc/") + kind.table;
    std::ifstream table(path);
    std::string line;
    if (!table || !std::getline(table, line))
        throw SystemError("cannot read '" + path + "'");

    std::vector<std::string> header = splitWords(line);
    size_t idColumn = header.size(), uidColumn = header.size(), cuidColumn = header.size();
    for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == kind.idColumn)
            idColumn = i;
        else if (header[i] == "uid")
            uidColumn = i;
        else if (header[i] == "cuid")
            cuidColumn = i;
    }
    if (idColumn == header.size() || uidColumn == header.size() || cuidColumn == header.size())
        throw SystemError("'" + path + "' has no " + kind.idColumn + ", uid or cuid column");

    std::vector<int> ids;
    std::string owner = std::to_string(uid);
    while (std::getline(table, line)) {
        std::vector<std::string> row = splitWords(line);
        if (row.size() < header.size())
            continue;
        if (row[uidColumn] == owner || row[cuidColumn] == owner)
            ids.push_back(std::stoi(row[idColumn]));
    }
    return ids;
}

void removePosixMessageQueues(uid_t uid, std::string& firstFailure, unsigned& failures)
{
    struct statfs fs {};
    if (::statfs("/dev/mqueue", &fs) != 0 || fs.f_type != mqueueMagic)
        return;
    UniqueFd dirFd(::open("/dev/mqueue", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    std::vector<std::string> names;
    if (!dirFd || !listDirectory(dirFd.get(), names))
        return;
    for (const std::string& name : names) {
        struct stat st {};
        if (::fstatat(dirFd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_uid != uid)
            continue;
        if (::unlinkat(dirFd.get(), name.c_str(), 0) != 0 && errno != ENOENT && failures++ == 0)
            firstFailure = "POSIX message queue '" + name + "': " + std::strerror(errno);
    }
}

} // namespace

void removeIpcObjectsOf(uid_t uid)
{
    std::string firstFailure;
    unsigned failures = 0;
    for (const IpcKind& kind : ipcKinds) {
        for (int id : idsOwnedBy(uid, kind)) {
            // EINVAL and EIDRM: the object went away since the table was read.
            if (kind.remove(id) == 0 || errno == EINVAL || errno == EIDRM)
                continue;
            spdlog::debug("tenant cleanup: cannot remove {} {}: {}", kind.table, id, std::strerror(errno));
            if (failures++ == 0)
                firstFailure = std::string("System V ") + kind.table + " " + std::to_string(id) + ": " + std::strerror(errno);
        }
    }
    removePosixMessageQueues(uid, firstFailure, failures);
    if (failures > 0)
        throw SystemError("removing the IPC objects of uid " + std::to_string(uid) + " failed for " +
                          std::to_string(failures) + " objects, the first is " + firstFailure);
}

} // namespace pactown
