#pragma once

#include "http_connection.h"
#include "router.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/socket.h>

namespace pactown::gateway {

// A numeric IPv4 or IPv6 address and a TCP port.
struct ListenAddress {
    sockaddr_storage address{};
    socklen_t length = 0;
};

// Parses "127.0.0.1:8787" or "[::1]:8787"; port 0 picks a free port. Host names are not
// accepted, so the address bound is exactly the one written. Throws std::invalid_argument.
ListenAddress parseListenAddress(std::string_view text);

struct ServerLimits {
    ConnectionLimits connection;
    unsigned workers = 8;
    // Accepted connections waiting for a worker; further ones get a 503 response at once.
    size_t maxQueuedConnections = 64;
};

// An HTTP/1.1 server on one listening socket. Worker threads serve one request per
// connection each.
class HttpServer {
public:
    // Binds and listens on `address`. Keeps a reference to `router`, which must outlive the
    // server. Throws std::system_error when the socket cannot be created, bound or listened on.
    HttpServer(const ListenAddress& address, const Router& router, ServerLimits limits);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // The port bound, useful after binding port 0.
    uint16_t port() const;

    // Accepts and serves connections until stop(); returns after the workers have finished
    // the connections already accepted. Throws std::system_error if accepting fails.
    void run();

    // Makes run() return. Async-signal-safe, callable from any thread, before or during run().
    void stop() noexcept;

private:
    void acceptPending();
    void workerLoop();
    int takeConnection();

    const Router& router_;
    ServerLimits limits_;
    int listenFd_ = -1;
    int stopFd_ = -1; // an eventfd that stop() makes readable

    std::mutex mutex_;
    std::condition_variable queueChanged_;
    std::deque<int> queue_;
    bool stopping_ = false;
};

} // namespace pactown::gateway
