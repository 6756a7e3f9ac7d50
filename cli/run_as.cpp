#include "run_as.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace waybill::cli {

int runAs(const std::string& user, const std::function<int()>& work) {
  const passwd* account = ::getpwnam(user.c_str());
  if (!account) {
    fmt::print(stderr, "waybill: no Unix user '{}' to connect as (peer authentication)\n", user);
    return 78;
  }
  const uid_t uid = account->pw_uid;
  const gid_t gid = account->pw_gid;
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t child = ::fork();
  if (child < 0) {
    fmt::print(stderr, "waybill: fork: {}\n", std::strerror(errno));
    return 75;
  }
  if (child == 0) {
    if (::initgroups(user.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
      fmt::print(stderr, "waybill: cannot become user '{}': {}\n", user, std::strerror(errno));
      std::fflush(nullptr);
      ::_exit(75);
    }
    const int status = work();
    std::fflush(nullptr);
    ::_exit(status);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 75;
}

}  // namespace waybill::cli
