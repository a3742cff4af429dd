// cli/serve.cpp — `headstart serve [headstart-cloud options]`: runs the headstart-cloud program with the
// same flags. The server is its own front end (cloud/); the CLI starts it rather than linking it, so
// each front end depends only on core/ and native/. Looked for beside this binary (an install), then
// in the build tree (<build>/cli/headstart -> <build>/cloud/headstart-cloud), then on $PATH.
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace headstart {

namespace {

std::string own_directory() {
    char buf[4096];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return "";
    std::string path(buf, static_cast<size_t>(n));
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash);
}

}  // namespace

int serve_main(int argc, char** argv) {
    std::vector<std::string> candidates;
    if (const std::string dir = own_directory(); !dir.empty()) {
        candidates.push_back(dir + "/headstart-cloud");
        candidates.push_back(dir + "/../cloud/headstart-cloud");
    }
    std::vector<char*> args;
    std::string name = "headstart-cloud";
    args.push_back(name.data());
    for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
    args.push_back(nullptr);
    for (const std::string& c : candidates)
        if (access(c.c_str(), X_OK) == 0) {
            execv(c.c_str(), args.data());
            std::fprintf(stderr, "headstart serve: cannot run %s: %s\n", c.c_str(), std::strerror(errno));
            return 1;
        }
    execvp(name.c_str(), args.data());  // returns only on failure
    std::fprintf(stderr,
                 "headstart serve: headstart-cloud is not beside this binary, in ../cloud/ or on $PATH (%s); "
                 "build it with cmake --build --preset native\n",
                 std::strerror(errno));
    return 1;
}

}  // namespace headstart
