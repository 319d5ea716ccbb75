// Module registration: the exported names, each implemented in the file for its concern.
#include "meshcap.h"

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"originalDestination", NULL, mc_original_destination, NULL, NULL, NULL, napi_enumerable, NULL},
      {"createListenSocket", NULL, mc_create_listen_socket, NULL, NULL, NULL,
       napi_enumerable, NULL},
      {"createOutgoingSocket", NULL, mc_create_outgoing_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getSocketMark", NULL, mc_get_socket_mark, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setSocketMark", NULL, mc_set_socket_mark, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setParentDeathSignal", NULL, mc_set_parent_death_signal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayInit", NULL, mc_relay_init, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayStart", NULL, mc_relay_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"relayAbort", NULL, mc_relay_abort, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
