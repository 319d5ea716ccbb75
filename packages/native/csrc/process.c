// Process lifetime: a child that must not outlive the process that started it.
//
// PR_SET_PDEATHSIG asks the kernel to signal us when our parent exits. It has to be set by the child
// itself after its last credential change: setpriv can set it, but raising ambient capabilities
// clears it again, so the dataplane sets it once it runs as the proxy user.
#include <errno.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "meshcap.h"

napi_value mc_set_parent_death_signal(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t signal;
  if (!mc_args(env, info, 1, argv) || !mc_arg_int32(env, argv[0], "signal", &signal)) return NULL;
  if (prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0) != 0) {
    return mc_throw_errno(env, errno, "prctl", "PR_SET_PDEATHSIG");
  }
  // The parent may have exited before the signal was armed: the caller compares this with the
  // parent it expects.
  napi_value ppid;
  if (napi_create_int32(env, (int32_t)getppid(), &ppid) != napi_ok) return NULL;
  return ppid;
}
