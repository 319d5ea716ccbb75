// createListenSocket(family, host, port, backlog, ipv6Only, transparent, reusePort): a listening
// TCP socket with the options Node's net.Server cannot set before bind on Node 20:
// IP_TRANSPARENT / IPV6_TRANSPARENT (so TPROXY can hand it connections addressed to non-local IPs)
// and SO_REUSEPORT (so several engine threads of one dataplane each listen on the same port and the
// kernel spreads connections among them). Returns the fd for `net.Server#listen({ fd })`.
#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

#include "meshcap.h"

napi_value mc_create_listen_socket(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int32_t family, port, backlog;
  bool ipv6_only, transparent, reuse_port;
  char host[64];
  if (!mc_args(env, info, 7, argv) || !mc_arg_int32(env, argv[0], "family", &family) ||
      !mc_arg_string(env, argv[1], "host", false, host, sizeof host) ||
      !mc_arg_int32(env, argv[2], "port", &port) || !mc_arg_int32(env, argv[3], "backlog", &backlog) ||
      !mc_arg_bool(env, argv[4], "ipv6Only", &ipv6_only) || !mc_arg_bool(env, argv[5], "transparent", &transparent) ||
      !mc_arg_bool(env, argv[6], "reusePort", &reuse_port)) {
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
  if (reuse_port && mc_setsockopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1) != 0) {
    return mc_close_and_throw(env, fd, "setsockopt", "SO_REUSEPORT");
  }
  if (family == 6 && mc_setsockopt_int(fd, SOL_IPV6, IPV6_V6ONLY, ipv6_only ? 1 : 0) != 0) {
    return mc_close_and_throw(env, fd, "setsockopt", "IPV6_V6ONLY");
  }
  if (transparent) {
    // On IPv6 one socket flag serves both families, so a dual-stack socket is transparent for IPv4 too.
    if (family == 6) {
      if (mc_setsockopt_int(fd, SOL_IPV6, IPV6_TRANSPARENT, 1) != 0) {
        return mc_close_and_throw(env, fd, "setsockopt", "IPV6_TRANSPARENT");
      }
    } else if (mc_setsockopt_int(fd, SOL_IP, IP_TRANSPARENT, 1) != 0) {
      return mc_close_and_throw(env, fd, "setsockopt", "IP_TRANSPARENT");
    }
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
