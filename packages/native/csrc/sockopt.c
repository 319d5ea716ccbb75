// Plain socket options on an existing fd: SO_MARK read and write.
#include <errno.h>

#include "meshcap.h"

int mc_setsockopt_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value);
}

napi_value mc_get_socket_mark(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!mc_args(env, info, 1, argv) || !mc_arg_int32(env, argv[0], "fd", &fd)) return NULL;
  uint32_t mark = 0;
  socklen_t len = sizeof mark;
  if (getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &len) != 0) {
    return mc_throw_errno(env, errno, "getsockopt", "SO_MARK");
  }
  napi_value result;
  if (napi_create_uint32(env, mark, &result) != napi_ok) return NULL;
  return result;
}

napi_value mc_set_socket_mark(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  uint32_t mark;
  if (!mc_args(env, info, 2, argv) || !mc_arg_int32(env, argv[0], "fd", &fd) ||
      !mc_arg_uint32(env, argv[1], "mark", &mark)) {
    return NULL;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
    return mc_throw_errno(env, errno, "setsockopt", "SO_MARK");
  }
  return NULL;
}
