// createOutgoingSocket(family, mark, transparent, localAddress, localPort): an unconnected TCP socket
// with SO_MARK (so capture rules can exclude it), optionally IP_TRANSPARENT (to use a non-local
// source address) and bound to a chosen source (e.g. 127.0.0.6). The wrapper hands the fd to a
// net.Socket and lets Node connect it, so the options are in place before the SYN leaves.
#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

#include "meshcap.h"

napi_value mc_create_outgoing_socket(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t family, local_port;
  uint32_t mark;
  bool transparent;
  char local_address[64];
  if (!mc_args(env, info, 5, argv) || !mc_arg_int32(env, argv[0], "family", &family) ||
      !mc_arg_uint32(env, argv[1], "mark", &mark) ||
      !mc_arg_bool(env, argv[2], "transparent", &transparent) ||
      !mc_arg_string(env, argv[3], "localAddress", true, local_address, sizeof local_address) ||
      !mc_arg_int32(env, argv[4], "localPort", &local_port)) {
    return NULL;
  }
  if (family != 4 && family != 6) return mc_throw_type_error(env, "family must be 4 or 6");
  struct sockaddr_storage local;
  socklen_t local_len = 0;
  bool bind_local = local_address[0] != '\0';
  if (bind_local && !mc_sockaddr_parse(env, family, local_address, local_port, &local, &local_len)) {
    return NULL;
  }

  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return mc_throw_errno(env, errno, "socket", NULL);
  // Mark 0 is the kernel's "no mark": skip the call, which would need CAP_NET_ADMIN for nothing.
  if (mark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) != 0) {
    return mc_close_and_throw(env, fd, "setsockopt", "SO_MARK");
  }
  if (transparent) {
    int rc = family == 6 ? mc_setsockopt_int(fd, SOL_IPV6, IPV6_TRANSPARENT, 1)
                         : mc_setsockopt_int(fd, SOL_IP, IP_TRANSPARENT, 1);
    if (rc != 0) {
      return mc_close_and_throw(env, fd, "setsockopt", family == 6 ? "IPV6_TRANSPARENT" : "IP_TRANSPARENT");
    }
  }
  if (bind_local) {
    // With port 0, let connect() pick the port per 4-tuple instead of reserving one at bind time,
    // so many upstream connections from one source address do not exhaust the ephemeral range.
    if (local_port == 0 && mc_setsockopt_int(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1) != 0) {
      return mc_close_and_throw(env, fd, "setsockopt", "IP_BIND_ADDRESS_NO_PORT");
    }
    if (bind(fd, (struct sockaddr *)&local, local_len) != 0) {
      return mc_close_and_throw(env, fd, "bind", local_address);
    }
  }
  napi_value result;
  if (napi_create_int32(env, fd, &result) != napi_ok) {
    close(fd);
    return NULL;
  }
  return result;
}
