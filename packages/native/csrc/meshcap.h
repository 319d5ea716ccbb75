// Declarations shared by the addon's source files; each file owns one concern.
#ifndef MESHCAP_NATIVE_H
#define MESHCAP_NATIVE_H

#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

// Socket option numbers from kernel headers that glibc may not expose; the values are kernel ABI.
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 // linux/netfilter_ipv4.h
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80 // linux/netfilter_ipv6/ip6_tables.h
#endif
#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif
#ifndef SO_MARK
#define SO_MARK 36
#endif

// errors.c: every throw returns NULL so callers can write `return mc_throw_...(...)`.
napi_value mc_throw_errno(napi_env env, int err, const char *syscall, const char *detail);
napi_value mc_throw_type_error(napi_env env, const char *message);
// Closes fd keeping errno, then throws for the saved error (setup failures after socket()).
napi_value mc_close_and_throw(napi_env env, int fd, const char *syscall, const char *detail);

// args.c: argument readers; on a wrong type they throw a TypeError and return false.
bool mc_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv);
bool mc_arg_int32(napi_env env, napi_value value, const char *name, int32_t *out);
bool mc_arg_uint32(napi_env env, napi_value value, const char *name, uint32_t *out);
bool mc_arg_bool(napi_env env, napi_value value, const char *name, bool *out);
// Copies a string into buf; null/undefined give "" when optional is true.
bool mc_arg_string(napi_env env, napi_value value, const char *name, bool optional, char *buf, size_t size);

// sockaddr.c: IP text <-> struct sockaddr.
bool mc_sockaddr_parse(napi_env env, int32_t family, const char *host, int32_t port,
                       struct sockaddr_storage *out, socklen_t *len);
// `{ address, port, family: 4 | 6 }`; NULL (with an exception pending) for other families.
napi_value mc_sockaddr_to_js(napi_env env, const struct sockaddr_storage *addr);
// Same address and port, treating a v4-mapped IPv6 address as its IPv4 address.
bool mc_sockaddr_same_endpoint(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

// sockopt.c: setsockopt for an int option; 0 or -1 with errno, like setsockopt itself.
int mc_setsockopt_int(int fd, int level, int name, int value);

// The exported functions, one file per concern.
napi_value mc_original_destination(napi_env env, napi_callback_info info);      // original_dst.c
napi_value mc_create_listen_socket(napi_env env, napi_callback_info info); // listen.c
napi_value mc_create_outgoing_socket(napi_env env, napi_callback_info info);   // outgoing.c
napi_value mc_get_socket_mark(napi_env env, napi_callback_info info);          // sockopt.c
napi_value mc_set_socket_mark(napi_env env, napi_callback_info info);          // sockopt.c
napi_value mc_set_parent_death_signal(napi_env env, napi_callback_info info);  // process.c
napi_value mc_relay_init(napi_env env, napi_callback_info info);               // relay.c
napi_value mc_relay_start(napi_env env, napi_callback_info info);              // relay.c
napi_value mc_relay_abort(napi_env env, napi_callback_info info);              // relay.c

#endif
