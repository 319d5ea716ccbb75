// IP text <-> struct sockaddr, shared by the listener, outgoing and original-destination code.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "meshcap.h"

bool mc_sockaddr_parse(napi_env env, int32_t family, const char *host, int32_t port,
                       struct sockaddr_storage *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  if (port < 0 || port > 65535) {
    mc_throw_type_error(env, "port must be an integer from 0 to 65535");
    return false;
  }
  if (family == 4) {
    struct sockaddr_in *sin = (struct sockaddr_in *)out;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    *len = sizeof *sin;
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) return true;
  } else if (family == 6) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    *len = sizeof *sin6;
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) return true;
  } else {
    mc_throw_type_error(env, "family must be 4 or 6");
    return false;
  }
  char message[128];
  snprintf(message, sizeof message, "'%s' is not an IPv%d address", host, family);
  mc_throw_type_error(env, message);
  return false;
}

napi_value mc_sockaddr_to_js(napi_env env, const struct sockaddr_storage *addr) {
  char text[INET6_ADDRSTRLEN];
  int family;
  uint16_t port;
  if (addr->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    family = 4;
    port = ntohs(sin->sin_port);
  } else if (addr->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    family = 6;
    port = ntohs(sin6->sin6_port);
  } else {
    return mc_throw_errno(env, EAFNOSUPPORT, "getsockopt", "not an IPv4 or IPv6 address");
  }
  napi_value result, js_address, js_port, js_family;
  if (napi_create_object(env, &result) != napi_ok ||
      napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &js_address) != napi_ok ||
      napi_create_uint32(env, port, &js_port) != napi_ok ||
      napi_create_int32(env, family, &js_family) != napi_ok ||
      napi_set_named_property(env, result, "address", js_address) != napi_ok ||
      napi_set_named_property(env, result, "port", js_port) != napi_ok ||
      napi_set_named_property(env, result, "family", js_family) != napi_ok) {
    return NULL;
  }
  return result;
}

// Reduces an address to (16 bytes, port) with IPv4 written as v4-mapped, so both forms compare.
static void endpoint_key(const struct sockaddr_storage *addr, struct in6_addr *ip, uint16_t *port) {
  memset(ip, 0, sizeof *ip);
  *port = 0;
  if (addr->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
    ip->s6_addr[10] = 0xff;
    ip->s6_addr[11] = 0xff;
    memcpy(&ip->s6_addr[12], &sin->sin_addr, 4);
    *port = sin->sin_port;
  } else if (addr->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;
    *ip = sin6->sin6_addr;
    *port = sin6->sin6_port;
  }
}

bool mc_sockaddr_same_endpoint(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  struct in6_addr ip_a, ip_b;
  uint16_t port_a, port_b;
  endpoint_key(a, &ip_a, &port_a);
  endpoint_key(b, &ip_b, &port_b);
  return port_a == port_b && memcmp(&ip_a, &ip_b, sizeof ip_a) == 0;
}
