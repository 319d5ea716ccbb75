// Node-style errors: `code` is the errno name, `errno` the negated number (as Node and libuv report
// it), `syscall` the failing call; the message reads like Node's: "setsockopt EPERM: ... (SO_MARK)".
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "meshcap.h"

#define MC_ERRNO_NAMES(X)                                                                            \
  X(EPERM) X(ENOENT) X(EINTR) X(EIO) X(EBADF) X(EAGAIN) X(ENOMEM) X(EACCES) X(EFAULT) X(EBUSY)        \
  X(EEXIST) X(ENODEV) X(EINVAL) X(ENFILE) X(EMFILE) X(ENOSPC) X(EPIPE) X(ERANGE) X(ENOSYS)            \
  X(ENOTSOCK) X(EDESTADDRREQ) X(EMSGSIZE) X(EPROTOTYPE) X(ENOPROTOOPT) X(EPROTONOSUPPORT)             \
  X(ESOCKTNOSUPPORT) X(EOPNOTSUPP) X(EPFNOSUPPORT) X(EAFNOSUPPORT) X(EADDRINUSE) X(EADDRNOTAVAIL)     \
  X(ENETDOWN) X(ENETUNREACH) X(ENETRESET) X(ECONNABORTED) X(ECONNRESET) X(ENOBUFS) X(EISCONN)         \
  X(ENOTCONN) X(ETIMEDOUT) X(ECONNREFUSED) X(EHOSTDOWN) X(EHOSTUNREACH) X(EALREADY) X(EINPROGRESS)

static const char *errno_name(int err) {
  switch (err) {
#define MC_CASE(name) case name: return #name;
    MC_ERRNO_NAMES(MC_CASE)
#undef MC_CASE
  default:
    return "UNKNOWN"; // what Node itself reports for an errno it has no name for
  }
}

static napi_value make_error(napi_env env, const char *code, const char *message) {
  napi_value js_code, js_message, error;
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &js_code) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &js_message) != napi_ok ||
      napi_create_error(env, js_code, js_message, &error) != napi_ok) {
    return NULL;
  }
  return error;
}

napi_value mc_throw_errno(napi_env env, int err, const char *syscall, const char *detail) {
  const char *code = errno_name(err);
  char message[256];
  if (detail != NULL && detail[0] != '\0') {
    snprintf(message, sizeof message, "%s %s: %s (%s)", syscall, code, strerror(err), detail);
  } else {
    snprintf(message, sizeof message, "%s %s: %s", syscall, code, strerror(err));
  }
  napi_value error = make_error(env, code, message);
  napi_value js_errno, js_syscall;
  if (error == NULL || napi_create_int32(env, -err, &js_errno) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &js_syscall) != napi_ok ||
      napi_set_named_property(env, error, "errno", js_errno) != napi_ok ||
      napi_set_named_property(env, error, "syscall", js_syscall) != napi_ok) {
    napi_throw_error(env, code, message); // degraded, but still a coded error
    return NULL;
  }
  napi_throw(env, error);
  return NULL;
}

napi_value mc_throw_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

napi_value mc_close_and_throw(napi_env env, int fd, const char *syscall, const char *detail) {
  int err = errno;
  close(fd);
  return mc_throw_errno(env, err, syscall, detail);
}
