// pactownctl export and import: pactownctl opens the file with the caller's own rights and
// hands pactownd only the descriptor.
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <mutex>
#include <system_error>
#include <unistd.h>

#include "output.h"
#include "session.h"

namespace pactown {

namespace {

int openArchive(const std::string& path, bool forWriting)
{
    if (path == "-")
        return dup(forWriting ? STDOUT_FILENO : STDIN_FILENO);
    const int flags = forWriting ? O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC : O_RDONLY | O_CLOEXEC;
    const int fd = open(path.c_str(), flags, 0600);
    if (fd < 0)
        throw std::system_error(errno, std::generic_category(), "cannot open '" + path + "'");
    return fd;
}

// Draws one line on standard error, redrawn on each TransferProgress signal.
class ProgressLine {
public:
    void update(const std::string& direction, uint64_t done, uint64_t total)
    {
        std::lock_guard lock(mutex_);
        std::string text = "\r" + direction + " " + formatBytes(done);
        if (total > 0)
            text += " of " + formatBytes(total) + " (" + std::to_string(done * 100 / total) + "%)";
        std::fprintf(stderr, "%s\033[K", text.c_str());
        drawn_ = true;
    }

    void finish()
    {
        std::lock_guard lock(mutex_);
        if (drawn_)
            std::fputc('\n', stderr);
        drawn_ = false;
    }

private:
    std::mutex mutex_;
    bool drawn_ = false;
};

} // namespace

int transferData(Session& session, const CommandLine& line)
{
    const bool exporting = line.command == "export";
    const std::string& saasUserId = line.arguments[0];
    const std::string& path = line.arguments[1];
    const sdbus::UnixFd archive(openArchive(path, exporting), sdbus::adopt_fd);

    ProgressLine progress;
    if (isatty(STDERR_FILENO) && !line.json)
        session.manager->setProgressHandler(
            [&progress](const std::string& direction, uint64_t done, uint64_t total) {
                progress.update(direction, done, total);
            });

    try {
        if (exporting)
            session.manager->ExportUserData(saasUserId, archive, line.freezeRuns ? "freeze" : "refuse");
        else
            session.manager->ImportUserData(saasUserId, archive);
    } catch (...) {
        session.manager->setProgressHandler({});
        progress.finish();
        // A failed export leaves no partial archive behind.
        if (exporting && path != "-")
            unlink(path.c_str());
        throw;
    }
    session.manager->setProgressHandler({});
    progress.finish();

    if (line.json)
        printJson({{"success", true}, {"user_id", saasUserId}});
    return 0;
}

} // namespace pactown
