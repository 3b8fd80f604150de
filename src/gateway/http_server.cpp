#include "http_server.h"

#include "http_error.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <charconv>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <sys/eventfd.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace pactown::gateway {

namespace {

// The only response sent without reading the request: every worker is busy and the queue is full.
const std::string& overloadedResponse()
{
    static const std::string message = [] {
        HttpResponse response = makeErrorResponse(503, kOverloaded, "too many connections are waiting; retry later");
        response.headers.emplace_back("Retry-After", "1");
        return serializeResponse(response);
    }();
    return message;
}

// Sends the 503 without blocking the accept loop. Request bytes that arrive after close()
// make the kernel reset the connection, and a client that has not read the 503 by then sees
// only the reset; either way it learns that it was not served.
void rejectOverloaded(int fd)
{
    const std::string& response = overloadedResponse();
    [[maybe_unused]] const ssize_t sent = send(fd, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    char scratch[4096];
    while (recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0) {
    }
}

[[noreturn]] void throwErrno(const std::string& what)
{
    throw std::system_error(errno, std::generic_category(), what);
}

uint16_t parsePort(std::string_view text, std::string_view whole)
{
    unsigned port = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || port > 65535)
        throw std::invalid_argument("listen address '" + std::string(whole) + "' has an invalid port; expected 0 to 65535");
    return static_cast<uint16_t>(port);
}

int createListeningSocket(const ListenAddress& address)
{
    const int fd = socket(address.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        throwErrno("cannot create the listening socket");
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    // "[::]" then means IPv6 only, never IPv4 as well by surprise.
    if (address.address.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&address.address), address.length) < 0 ||
        listen(fd, SOMAXCONN) < 0) {
        const int error = errno;
        close(fd);
        throw std::system_error(error, std::generic_category(), "cannot listen on the address");
    }
    return fd;
}

} // namespace

ListenAddress parseListenAddress(std::string_view text)
{
    ListenAddress result;
    const auto invalid = [&] {
        return std::invalid_argument("listen address '" + std::string(text) +
                                     "' is invalid; expected IPV4:PORT or [IPV6]:PORT");
    };

    if (text.starts_with('[')) {
        const size_t close = text.find("]:");
        if (close == std::string_view::npos)
            throw invalid();
        auto* ipv6 = reinterpret_cast<sockaddr_in6*>(&result.address);
        ipv6->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, std::string(text.substr(1, close - 1)).c_str(), &ipv6->sin6_addr) != 1)
            throw invalid();
        ipv6->sin6_port = htons(parsePort(text.substr(close + 2), text));
        result.length = sizeof(sockaddr_in6);
        return result;
    }

    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
        throw invalid();
    auto* ipv4 = reinterpret_cast<sockaddr_in*>(&result.address);
    ipv4->sin_family = AF_INET;
    if (inet_pton(AF_INET, std::string(text.substr(0, colon)).c_str(), &ipv4->sin_addr) != 1)
        throw invalid();
    ipv4->sin_port = htons(parsePort(text.substr(colon + 1), text));
    result.length = sizeof(sockaddr_in);
    return result;
}

HttpServer::HttpServer(const ListenAddress& address, const Router& router, ServerLimits limits)
    : router_(router), limits_(limits)
{
    if (limits_.workers == 0)
        throw std::invalid_argument("the server needs at least one worker");
    stopFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stopFd_ < 0)
        throwErrno("cannot create an eventfd");
    try {
        listenFd_ = createListeningSocket(address);
    } catch (...) {
        close(stopFd_);
        throw;
    }
}

HttpServer::~HttpServer()
{
    for (int fd : queue_)
        close(fd);
    close(listenFd_);
    close(stopFd_);
}

uint16_t HttpServer::port() const
{
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getsockname(listenFd_, reinterpret_cast<sockaddr*>(&address), &length) < 0)
        return 0;
    if (address.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
    return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

void HttpServer::stop() noexcept
{
    const uint64_t one = 1;
    // A full counter means a stop is pending already, so a failed write changes nothing.
    [[maybe_unused]] const ssize_t written = write(stopFd_, &one, sizeof one);
}

void HttpServer::run()
{
    std::vector<std::jthread> workers;
    for (unsigned i = 0; i < limits_.workers; ++i)
        workers.emplace_back([this] { workerLoop(); });

    // Workers must be stopped and joined on every way out, or their destructor would wait forever.
    const auto stopWorkers = [&] {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        queueChanged_.notify_all();
        workers.clear();
    };

    try {
        for (;;) {
            pollfd entries[2] = {{listenFd_, POLLIN, 0}, {stopFd_, POLLIN, 0}};
            if (poll(entries, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                throwErrno("poll on the listening socket failed");
            }
            if (entries[1].revents != 0)
                break;
            if (entries[0].revents != 0)
                acceptPending();
        }
    } catch (...) {
        stopWorkers();
        throw;
    }
    stopWorkers();
}

void HttpServer::acceptPending()
{
    for (;;) {
        const int fd = accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
                return;
            // Out of descriptors or memory: keep serving the connections that exist.
            spdlog::warn("accept failed, retrying at the next connection: {}", std::strerror(errno));
            return;
        }

        std::unique_lock lock(mutex_);
        if (queue_.size() >= limits_.maxQueuedConnections) {
            lock.unlock();
            rejectOverloaded(fd);
            spdlog::warn("rejected a connection from {}: {} connections are waiting for a worker",
                         describePeer(fd), limits_.maxQueuedConnections);
            close(fd);
            continue;
        }
        queue_.push_back(fd);
        lock.unlock();
        queueChanged_.notify_one();
    }
}

int HttpServer::takeConnection()
{
    std::unique_lock lock(mutex_);
    queueChanged_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty())
        return -1;
    const int fd = queue_.front();
    queue_.pop_front();
    return fd;
}

void HttpServer::workerLoop()
{
    // Connections accepted before stop() are still served, so no accepted client is dropped.
    for (int fd = takeConnection(); fd >= 0; fd = takeConnection()) {
        try {
            serveConnection(fd, router_, limits_.connection);
        } catch (const std::bad_alloc&) {
            spdlog::error("out of memory while serving a connection; it is closed");
        }
        close(fd);
    }
}

} // namespace pactown::gateway
