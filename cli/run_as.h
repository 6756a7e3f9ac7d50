// runAs: runs a piece of the operator's command as another Unix user (in a child process), so
// that PostgreSQL's peer authentication sees that user: `waybill db init` talks to the server
// as `postgres`, then migrates as the daemons' role.
#pragma once

#include <functional>
#include <string>

namespace waybill::cli {

// The exit status of `work` run as `user` in a forked child; 75 when the switch itself fails
// (with a line naming why), 78 when the user does not exist.
int runAs(const std::string& user, const std::function<int()>& work);

}  // namespace waybill::cli
