// Test fixture: Envoy bootstraps for `meshcap dp --bootstrap`.

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** An Envoy bootstrap: one listener per entry, each to cluster `app` (127.0.0.1:appPort), with an abort fault when asked. */
export function bootstrap(appPort: number, listeners: Array<{ port: number; abort?: number }>, clusterExtra = ''): string {
  const listener = (l: { port: number; abort?: number }): string => `
    - name: inbound:127.0.0.1:${l.port}
      address: { socket_address: { address: 127.0.0.1, port_value: ${l.port} } }
      traffic_direction: INBOUND
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                '@type': ${HCM}
                stat_prefix: app
                route_config:
                  virtual_hosts: [{ name: app, domains: ['*'], routes: [{ match: { prefix: / }, route: { cluster: app, timeout: 0s } }] }]
                http_filters:${l.abort ? `
                  - name: envoy.filters.http.fault
                    typed_config: { '@type': type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault, abort: { http_status: ${l.abort}, percentage: { numerator: 100 } } }` : ''}
                  - name: envoy.filters.http.router
                    typed_config: { '@type': type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;
  return `node: { id: default.standalone }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
static_resources:
  listeners:${listeners.map(listener).join('')}
  clusters:
    - name: app
      type: STATIC
      connect_timeout: 1s
      load_assignment: { cluster_name: app, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${appPort} } } } }] }] }${clusterExtra}
`;
}
