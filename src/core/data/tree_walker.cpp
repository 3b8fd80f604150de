#include "data/tree_walker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <pactown/errors.h>

#include "data/fd_paths.h"
#include "data/unique_fd.h"

namespace pactown {
namespace {

// Directory descriptors kept open at once; deeper trees reopen ancestors through "..".
constexpr size_t maxOpenDirectories = 64;

struct Frame {
    UniqueFd fd;
    std::string name;
    std::string path;
    struct stat st {};
    std::vector<std::string> names;
    size_t next = 0;
};

class Walk {
public:
    Walk(int rootFd, TreeVisitor& visitor) : visitor_(visitor)
    {
        Frame root;
        root.fd = UniqueFd(::openat(rootFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!root.fd || ::fstat(root.fd.get(), &root.st) != 0)
            throwSystemError("cannot open the directory to walk", errno);
        if (!listDirectory(root.fd.get(), root.names))
            throwSystemError("cannot list the directory to walk", errno);
        rootDevice_ = root.st.st_dev;
        frames_.push_back(std::move(root));
    }

    void run()
    {
        while (!frames_.empty()) {
            Frame& top = frames_.back();
            if (top.next == top.names.size())
                finishTop();
            else
                visit(top, top.names[top.next++]);
        }
    }

private:
    void visit(Frame& parent, const std::string& name)
    {
        std::string path = parent.path.empty() ? name : parent.path + '/' + name;
        struct stat st {};
        WalkEntry entry{parent.fd.get(), name, path, st};
        if (::fstatat(parent.fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            // An entry removed since the listing is simply gone.
            if (errno != ENOENT)
                visitor_.unreadable(entry, errno);
            return;
        }
        if (!visitor_.enter(entry) || !S_ISDIR(st.st_mode))
            return;
        if (st.st_dev != rootDevice_) {
            visitor_.mountPoint(entry);
            return;
        }

        Frame child;
        child.fd = openChildDirectory(parent.fd.get(), name, st);
        if (!child.fd || !listDirectory(child.fd.get(), child.names)) {
            visitor_.unreadable(entry, errno);
            return;
        }
        child.name = name;
        child.path = std::move(path);
        child.st = st;
        frames_.push_back(std::move(child));
        closeOldestDescriptor();
    }

    void finishTop()
    {
        if (frames_.size() == 1) {
            frames_.pop_back();
            return;
        }
        Frame& top = frames_.back();
        Frame& parent = frames_[frames_.size() - 2];
        if (!parent.fd)
            reopenThroughDotDot(top, parent);
        visitor_.leave(WalkEntry{parent.fd.get(), top.name, top.path, top.st});
        frames_.pop_back();
        openCount_--;
    }

    // The root frame keeps its descriptor, so there is always an anchor to walk back to.
    void closeOldestDescriptor()
    {
        if (++openCount_ <= maxOpenDirectories)
            return;
        for (size_t i = 1; i < frames_.size(); ++i) {
            if (frames_[i].fd) {
                frames_[i].fd.reset();
                openCount_--;
                return;
            }
        }
    }

    void reopenThroughDotDot(const Frame& child, Frame& parent)
    {
        UniqueFd fd(::openat(child.fd.get(), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st {};
        if (!fd || ::fstat(fd.get(), &st) != 0)
            throwSystemError("cannot reopen directory '" + parent.path + "'", errno);
        if (st.st_dev != parent.st.st_dev || st.st_ino != parent.st.st_ino)
            throw SystemError("directory '" + child.path + "' was moved during the walk");
        parent.fd = std::move(fd);
        openCount_++;
    }

    TreeVisitor& visitor_;
    std::vector<Frame> frames_;
    dev_t rootDevice_ = 0;
    size_t openCount_ = 0; // open descriptors of frames other than the root
};

} // namespace

void walkTree(int rootFd, TreeVisitor& visitor)
{
    Walk walk(rootFd, visitor);
    walk.run();
}

} // namespace pactown
