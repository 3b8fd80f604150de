#pragma once

#include <cstdint>
#include <functional>

namespace pactown {

// Progress of an export or import: bytesDone of bytesTotal, where bytesTotal is 0 when the total
// is unknown. An export counts bytes of file content read from the home (holes of sparse files
// included), an import counts bytes of the archive stream read.
using ProgressCallback = std::function<void(uint64_t bytesDone, uint64_t bytesTotal)>;

} // namespace pactown
