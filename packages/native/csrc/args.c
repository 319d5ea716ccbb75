// Argument readers. The TypeScript wrapper validates first and gives the friendly messages; these
// checks only keep a direct caller of the raw addon from reaching a syscall with garbage.
#include <stdio.h>
#include <string.h>

#include "meshcap.h"

static bool type_error(napi_env env, const char *name, const char *expected) {
  char message[128];
  snprintf(message, sizeof message, "%s must be %s", name, expected);
  mc_throw_type_error(env, message);
  return false;
}

bool mc_args(napi_env env, napi_callback_info info, size_t count, napi_value *argv) {
  size_t argc = count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < count) {
    char message[96];
    snprintf(message, sizeof message, "expected %zu arguments, got %zu", count, argc);
    mc_throw_type_error(env, message);
    return false;
  }
  return true;
}

bool mc_arg_int32(napi_env env, napi_value value, const char *name, int32_t *out) {
  if (napi_get_value_int32(env, value, out) != napi_ok) return type_error(env, name, "a number");
  return true;
}

bool mc_arg_uint32(napi_env env, napi_value value, const char *name, uint32_t *out) {
  if (napi_get_value_uint32(env, value, out) != napi_ok) return type_error(env, name, "a number");
  return true;
}

bool mc_arg_bool(napi_env env, napi_value value, const char *name, bool *out) {
  if (napi_get_value_bool(env, value, out) != napi_ok) return type_error(env, name, "a boolean");
  return true;
}

bool mc_arg_string(napi_env env, napi_value value, const char *name, bool optional, char *buf, size_t size) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (optional && (type == napi_null || type == napi_undefined)) {
    buf[0] = '\0';
    return true;
  }
  size_t length = 0;
  if (type != napi_string || napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    return type_error(env, name, "a string");
  }
  if (length >= size) return type_error(env, name, "a short string");
  return napi_get_value_string_utf8(env, value, buf, size, &length) == napi_ok;
}
