#include "command.h"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace pactown::testing {
namespace {

void closeBoth(int pipe[2])
{
    ::close(pipe[0]);
    ::close(pipe[1]);
}

[[noreturn]] void execChild(const std::vector<std::string>& argv, int in[2], int out[2], int err[2])
{
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    closeBoth(in);
    closeBoth(out);
    closeBoth(err);
    std::vector<char*> pointers;
    for (const auto& argument : argv)
        pointers.push_back(const_cast<char*>(argument.c_str()));
    pointers.push_back(nullptr);
    ::execvp(pointers[0], pointers.data());
    ::_exit(127);
}

// Feeds input and drains both outputs together, so a child that writes much to one stream
// never blocks on a full pipe.
void exchange(int inFd, const std::string& input, int outFd, int errFd, CommandResult& result)
{
    size_t written = 0;
    if (input.empty()) {
        ::close(inFd);
        inFd = -1;
    }
    std::array<pollfd, 3> fds{pollfd{outFd, POLLIN, 0}, pollfd{errFd, POLLIN, 0}, pollfd{inFd, POLLOUT, 0}};
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR)
            throw std::runtime_error("poll failed");
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !fds[i].revents)
                continue;
            char buffer[65536];
            ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                continue;
            }
            (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
        }
        if (fds[2].fd >= 0 && fds[2].revents) {
            ssize_t n = ::write(fds[2].fd, input.data() + written, input.size() - written);
            if (n > 0)
                written += static_cast<size_t>(n);
            if (n < 0 || written == input.size()) {
                ::close(fds[2].fd);
                fds[2].fd = -1;
            }
        }
    }
    if (fds[2].fd >= 0)
        ::close(fds[2].fd);
}

} // namespace

CommandResult runCommand(const std::vector<std::string>& argv, const std::string& input)
{
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0)
        throw std::runtime_error("pipe2 failed");
    pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error("fork failed");
    if (pid == 0)
        execChild(argv, in, out, err);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);

    CommandResult result;
    exchange(in[1], input, out[0], err[0], result);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

CommandResult runShell(const std::string& commandLine)
{
    return runCommand({"/bin/sh", "-c", commandLine});
}

CommandResult pactownctl(const std::vector<std::string>& arguments)
{
    std::vector<std::string> argv{"pactownctl"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return runCommand(argv);
}

CommandResult callManager(const std::string& method, const std::string& signature,
                          const std::vector<std::string>& arguments)
{
    std::vector<std::string> argv{"busctl", "call", "com.pactown.Isolation1", "/com/pactown/Isolation1",
                                  "com.pactown.Isolation1.Manager", method, signature};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return runCommand(argv);
}

std::string readFile(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    std::ostringstream content;
    content << file.rdbuf();
    return content.str();
}

void requireSandbox()
{
    if (!std::getenv("PACTOWN_BUILD_DIR") || ::getuid() != 0)
        FAIL() << "this test drives pactownd in the throwaway systemd and needs root: run it with "
                  "'meson test --suite integration' or tests/integration/pactownd-sandbox BUILD_DIR -- TEST";
    if (runShell("busctl status com.pactown.Isolation1 >/dev/null 2>&1").status != 0)
        FAIL() << "pactownd is not on the system bus: start the test through tests/integration/pactownd-sandbox";
}

} // namespace pactown::testing
