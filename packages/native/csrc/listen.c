// createTransparentListenSocket(family, host, port, backlog, ipv6Only): a listening TCP socket with
// IP_TRANSPARENT (IPv4) or IPV6_TRANSPARENT (IPv6) set before bind, so TPROXY can hand it
// connections addressed to non-local IPs. Returns the fd for `net.Server#listen({ fd })`.
#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

#include "meshcap.h"

napi_value mc_create_transparent_listen_socket(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t family, port, backlog;
  bool ipv6_only;
  char host[64];
  if (!mc_args(env, info, 5, argv) || !mc_arg_int32(env, argv[0], "family", &family) ||
      !mc_arg_string(env, argv[1], "host", false, host, sizeof host) ||
      !mc_arg_int32(env, argv[2], "port", &port) || !mc_arg_int32(env, argv[3], "backlog", &backlog) ||
      !mc_arg_bool(env, argv[4], "ipv6Only", &ipv6_only)) {
    return NULL;
  }
  struct sockaddr_storage addr;
  socklen_t addr_len;
  if (!mc_sockaddr_parse(env, family, host, port, &addr, &addr_len)) return NULL;

  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return mc_throw_errno(env, errno, "socket", NULL);
  if (mc_setsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) != 0) {
    return mc_close_and_throw(env, fd, "setsockopt", "SO_REUSEADDR");
  }
  if (family == 6) {
    if (mc_setsockopt_int(fd, SOL_IPV6, IPV6_V6ONLY, ipv6_only ? 1 : 0) != 0) {
      return mc_close_and_throw(env, fd, "setsockopt", "IPV6_V6ONLY");
    }
    // One socket flag serves both families, so a dual-stack socket is transparent for IPv4 too.
    if (mc_setsockopt_int(fd, SOL_IPV6, IPV6_TRANSPARENT, 1) != 0) {
      return mc_close_and_throw(env, fd, "setsockopt", "IPV6_TRANSPARENT");
    }
  } else if (mc_setsockopt_int(fd, SOL_IP, IP_TRANSPARENT, 1) != 0) {
    return mc_close_and_throw(env, fd, "setsockopt", "IP_TRANSPARENT");
  }
  if (bind(fd, (struct sockaddr *)&addr, addr_len) != 0) return mc_close_and_throw(env, fd, "bind", host);
  if (listen(fd, backlog) != 0) return mc_close_and_throw(env, fd, "listen", NULL);

  napi_value result;
  if (napi_create_int32(env, fd, &result) != napi_ok) {
    close(fd);
    return NULL;
  }
  return result;
}
