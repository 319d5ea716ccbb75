// originalDestination(fd): where a REDIRECTed connection was going before netfilter NAT rewrote it.
//
// The kernel answers SO_ORIGINAL_DST from the connection's conntrack entry. IPv4 uses
// getsockopt(SOL_IP, SO_ORIGINAL_DST); IPv6 uses getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST). An IPv4
// client accepted on a dual-stack `::` listener has an AF_INET6 socket with v4-mapped addresses, but
// its conntrack entry is IPv4, so such sockets take the SOL_IP path and come back as family 4.
//
// "Not redirected" is always ENOENT: the kernel says ENOENT when conntrack has no entry, and when it
// has one without NAT it returns the socket's own local address, which we turn into ENOENT too, so a
// caller never mistakes the listener's address for a destination.
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "meshcap.h"

// Both "not redirected" messages say so in the same words; the rest tells which case it was.
static const char NO_ENTRY[] = "not redirected: conntrack has no entry for this connection";
static const char NO_NAT[] = "not redirected: the original destination is the socket's own address";

static bool is_v4_mapped(const struct sockaddr_storage *addr) {
  return addr->ss_family == AF_INET6 &&
         IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)addr)->sin6_addr);
}

napi_value mc_original_destination(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!mc_args(env, info, 1, argv) || !mc_arg_int32(env, argv[0], "fd", &fd)) return NULL;

  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) != 0) {
    return mc_throw_errno(env, errno, "getsockname", NULL);
  }

  struct sockaddr_storage original;
  memset(&original, 0, sizeof original);
  socklen_t original_len;
  int rc;
  const char *option;
  if (local.ss_family == AF_INET6 && !is_v4_mapped(&local)) {
    option = "IP6T_SO_ORIGINAL_DST";
    original_len = sizeof(struct sockaddr_in6);
    rc = getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &original, &original_len);
  } else {
    option = "SO_ORIGINAL_DST";
    original_len = sizeof(struct sockaddr_in);
    rc = getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &original, &original_len);
  }
  if (rc != 0) {
    int err = errno;
    return mc_throw_errno(env, err, "getsockopt", err == ENOENT ? NO_ENTRY : option);
  }
  if (mc_sockaddr_same_endpoint(&original, &local)) {
    return mc_throw_errno(env, ENOENT, "getsockopt", NO_NAT);
  }
  return mc_sockaddr_to_js(env, &original);
}
