#pragma once

#include "router.h"

#include <chrono>
#include <cstddef>

namespace pactown::gateway {

// Bounds on one connection, so that a slow or hostile client cannot hold a worker for long.
struct ConnectionLimits {
    size_t maxHeadBytes = 16 * 1024; // request line and header fields together
    size_t maxBodyBytes = 4096;      // bodies are read and ignored, never used
    // Time allowed for reading the whole request, and again for writing the response.
    std::chrono::milliseconds ioTimeout{10'000};
};

// Reads one request from the connected socket `fd`, sends the response of `router` and logs
// one line at info level: method, route template, status and duration. Leaves `fd` open for
// the caller to close. Malformed, oversized or slow requests get their error response, and a
// peer that disconnects gets none. Never throws except std::bad_alloc.
void serveConnection(int fd, const Router& router, const ConnectionLimits& limits);

// Returns "ADDRESS:PORT" ("[ADDRESS]:PORT" for IPv6) of the peer of `fd`, or "unknown".
std::string describePeer(int fd);

} // namespace pactown::gateway
