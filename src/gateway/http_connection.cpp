#include "http_connection.h"

#include "http_error.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

namespace pactown::gateway {

namespace {

using Clock = std::chrono::steady_clock;

// The peer closed or reset the connection, so no response can be sent.
struct PeerGone {
    std::string reason;
};

// Waits until `fd` is ready for `events` or `deadline` passes. Throws HttpError 408 on timeout.
void waitReady(int fd, short events, Clock::time_point deadline)
{
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            throw HttpError(408, kRequestTimeout, "timed out waiting for the complete request");
        pollfd entry{fd, events, 0};
        const int ready = poll(&entry, 1, static_cast<int>(left.count()) + 1);
        if (ready > 0)
            return;
        if (ready < 0 && errno != EINTR)
            throw PeerGone{std::string("poll failed: ") + std::strerror(errno)};
    }
}

// Reads what is available, at most `size` bytes; returns 0 at end of stream.
size_t receiveSome(int fd, char* buffer, size_t size, Clock::time_point deadline)
{
    for (;;) {
        waitReady(fd, POLLIN, deadline);
        const ssize_t count = recv(fd, buffer, size, MSG_DONTWAIT);
        if (count >= 0)
            return static_cast<size_t>(count);
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            throw PeerGone{std::string("recv failed: ") + std::strerror(errno)};
    }
}

void sendAll(int fd, std::string_view data, Clock::time_point deadline)
{
    while (!data.empty()) {
        try {
            waitReady(fd, POLLOUT, deadline);
        } catch (const HttpError&) {
            throw PeerGone{"the client did not read the response within the time limit"};
        }
        const ssize_t count = send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (count >= 0)
            data.remove_prefix(static_cast<size_t>(count));
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            throw PeerGone{std::string("send failed: ") + std::strerror(errno)};
    }
}

// Reads up to the empty line that ends the head. Body bytes read with it stay in `buffer`
// after the returned length.
size_t receiveHead(int fd, std::string& buffer, const ConnectionLimits& limits, Clock::time_point deadline)
{
    buffer.resize(limits.maxHeadBytes);
    size_t received = 0;
    while (received < limits.maxHeadBytes) {
        const size_t count = receiveSome(fd, buffer.data() + received, limits.maxHeadBytes - received, deadline);
        if (count == 0)
            throw PeerGone{received == 0 ? "closed before sending a request" : "closed in the middle of a request"};

        // The terminator may straddle the previous read, so look 3 bytes back. A head that
        // ends in bare LFs is taken as complete too, so that it is rejected at once instead
        // of waiting for a CRLF that never comes.
        const size_t from = received >= 3 ? received - 3 : 0;
        received += count;
        const std::string_view data(buffer.data(), received);
        const size_t crlfEnd = data.find("\r\n\r\n", from);
        const size_t lfEnd = data.find("\n\n", from);
        if (crlfEnd != std::string_view::npos || lfEnd != std::string_view::npos) {
            buffer.resize(received);
            return std::min(crlfEnd == std::string_view::npos ? crlfEnd : crlfEnd + 4,
                            lfEnd == std::string_view::npos ? lfEnd : lfEnd + 2);
        }
    }
    throw HttpError(431, kHeadersTooLarge,
                    "request line and header fields exceed " + std::to_string(limits.maxHeadBytes) + " bytes");
}

// Reads and drops the body, because closing a socket with unread data makes the kernel
// send a reset, which can destroy the response before the client reads it.
void discardBody(int fd, size_t remaining, Clock::time_point deadline)
{
    char scratch[4096];
    while (remaining > 0) {
        const size_t count = receiveSome(fd, scratch, std::min(remaining, sizeof scratch), deadline);
        if (count == 0)
            throw PeerGone{"closed in the middle of the request body"};
        remaining -= count;
    }
}

RoutedResponse readAndRoute(int fd, const Router& router, const ConnectionLimits& limits, std::string& method)
{
    const Clock::time_point deadline = Clock::now() + limits.ioTimeout;
    try {
        std::string buffer;
        const size_t headLength = receiveHead(fd, buffer, limits, deadline);
        const HttpRequest request = parseRequestHead(std::string_view(buffer).substr(0, headLength));
        method = request.method;
        const size_t bodyLength = requestBodyLength(request, limits.maxBodyBytes);
        const size_t bodyReceived = buffer.size() - headLength;
        if (bodyLength > bodyReceived)
            discardBody(fd, bodyLength - bodyReceived, deadline);
        return router.handle(request);
    } catch (const HttpError& error) {
        return {makeErrorResponse(error.status(), error.name(), error.what()), method + " (no route)"};
    }
}

} // namespace

std::string describePeer(int fd)
{
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) < 0)
        return "unknown";
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
        const auto* ipv4 = reinterpret_cast<const sockaddr_in*>(&address);
        inet_ntop(AF_INET, &ipv4->sin_addr, text, sizeof text);
        return std::string(text) + ":" + std::to_string(ntohs(ipv4->sin_port));
    }
    if (address.ss_family == AF_INET6) {
        const auto* ipv6 = reinterpret_cast<const sockaddr_in6*>(&address);
        inet_ntop(AF_INET6, &ipv6->sin6_addr, text, sizeof text);
        return "[" + std::string(text) + "]:" + std::to_string(ntohs(ipv6->sin6_port));
    }
    return "unknown";
}

void serveConnection(int fd, const Router& router, const ConnectionLimits& limits)
{
    const Clock::time_point start = Clock::now();
    const std::string peer = describePeer(fd);
    std::string method = "-";
    try {
        const RoutedResponse routed = readAndRoute(fd, router, limits, method);
        sendAll(fd, serializeResponse(routed.response), Clock::now() + limits.ioTimeout);
        shutdown(fd, SHUT_WR);

        const std::chrono::duration<double, std::milli> elapsed = Clock::now() - start;
        spdlog::info("{} -> {} in {:.1f} ms from {}", routed.route, routed.response.status, elapsed.count(), peer);
    } catch (const PeerGone& gone) {
        spdlog::info("{} -> no response to {}: {}", method, peer, gone.reason);
    }
}

} // namespace pactown::gateway
