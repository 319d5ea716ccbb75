/**
 * GENERATED from the control plane's OpenAPI document (apps/api's zod route schemas) by
 * openapi-typescript; do not edit. Regenerate after changing an API schema:
 *
 *   npm run generate:api-types -w @meshcap/web
 *
 * lib/api-types.test.ts fails while this file differs from the schemas.
 */

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the control plane answers and reaches its store */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            status: "ok";
                            uptimeSeconds: number;
                            store: {
                                /** @enum {string} */
                                kind: "sqlite" | "postgres";
                                location: string;
                            };
                            dataplanes: {
                                connected: number;
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Control plane metrics (Prometheus text format) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Prometheus text exposition 0.0.4 */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/plain": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Meshes */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["MeshList"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One mesh */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Mesh"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/mtls": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A mesh's mTLS: mode, identity used by permissions, builtin CAs */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["MeshMtls"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/certificate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A dataplane's mTLS certificate (SANs, not-after, next rotation) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DataplaneCertificate"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Dataplanes of a mesh (kumactl inspect dataplanes) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DataplaneList"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One dataplane: status, inbounds and outbounds with live counters, its resource */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DataplaneDetail"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/diagram": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Mermaid sequence diagram of the dataplane's path (kernel rule → capture port → listener → policies → destination) */
        get: {
            parameters: {
                query?: {
                    direction?: "inbound" | "outbound";
                };
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["PathDiagram"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/listeners": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Listeners of the dataplane (capture, per-inbound/outbound, passthrough) with their filters and live counters */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ListenerList"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/clusters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The running dataplane's clusters: endpoints with their health (active checks, outlier ejection), circuit breakers and counters */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ClusterList"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The running dataplane's counters, named as Envoy names them */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["StatsResult"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The capture rules installed in the dataplane's network namespace, with packet/byte counters (read by the dataplane) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RulesResult"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/trace": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Trace a packet through the dataplane's installed rules: every rule visited, the one that decided, the verdict
         * @description Reads the rules from the dataplane and walks them; changes nothing (so it needs no token).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        direction: "inbound" | "outbound";
                        src: string;
                        dst: string;
                        dstPort: number;
                        srcPort?: number;
                        /** @enum {string} */
                        proto: "tcp" | "udp";
                        uid?: number;
                        gid?: number;
                        mark?: number;
                        inIface?: string;
                        outIface?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TraceResult"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                500: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/config_dump": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Envoy v3 admin config dump of the dataplane's config (Envoy's resource, mask, name_regex, include_eds)
         * @description Default: the version the dataplane runs, else the newest. `?download=1` sends it as `<name>-config_dump.json`. `?source=dataplane` asks the running dataplane instead.
         */
        get: {
            parameters: {
                query?: {
                    resource?: string;
                    mask?: string;
                    name_regex?: string;
                    include_eds?: "0" | "1" | "" | "true" | "false";
                    version?: string;
                    source?: "control-plane" | "dataplane";
                    download?: "0" | "1" | "" | "true" | "false";
                };
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description envoy.admin.v3.ConfigDump as JSON */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                504: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/config_dump/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Config dump versions kept for the dataplane (oldest first) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ConfigDumpVersionList"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/config_dump/diff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Diff of two config dump versions: changed paths and a unified diff (default: the previous version against the newest) */
        get: {
            parameters: {
                query?: {
                    from?: string;
                    to?: string;
                    ignoreStamps?: "0" | "1" | "true" | "false";
                };
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ConfigDumpDiff"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Matched policies of a dataplane: origins in merge order, effective conf, per-dataplane toggle, warnings */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DataplanePolicies"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/policies/{type}/{policy}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Turn one policy on or off for this dataplane only */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                    type: string;
                    policy: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        enabled: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["PolicyToggleResult"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/policies": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Policies of a mesh, with how many dataplanes each affects */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["MeshPolicyList"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/policies/{type}/{name}/dataplanes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The dataplanes a policy affects, and where (inbound listeners, outbound services) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    type: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AffectedDataplaneList"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/resources": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Apply resources (kumactl apply): YAML or JSON, one or many documents, all or nothing
         * @description Body: YAML (`---`-separated documents) or JSON (an object or an array). Errors name the document, line, column and field path; on any error nothing is stored.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": string;
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApplyResult"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/resources/{type}/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One stored resource, with the text it was applied from */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    type: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["StoredResource"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a resource (a mesh must be empty first) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    mesh: string;
                    type: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ResourceChange"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flows": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Recent flows, newest first, filtered */
        get: {
            parameters: {
                query?: {
                    mesh?: string;
                    dataplane?: string;
                    direction?: "inbound" | "outbound";
                    verdict?: "forwarded" | "denied" | "faulted" | "error";
                    protocol?: "tcp" | "http";
                    since?: string;
                    requestId?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["FlowList"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flows/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live flows as Server-Sent Events (same filters; resumes after Last-Event-ID)
         * @description Events: `flow` (data: one flow record, id: its position in the log), `dropped` (data: {dropped, drops, skipped, missed}: flows lost so far; skipped: events this client was too slow for; missed: flows gone before a resume could replay them).
         */
        get: {
            parameters: {
                query?: {
                    mesh?: string;
                    dataplane?: string;
                    direction?: "inbound" | "outbound";
                    verdict?: "forwarded" | "denied" | "faulted" | "error";
                    protocol?: "tcp" | "http";
                    since?: string;
                    requestId?: string;
                    lastEventId?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description text/event-stream of flow and dropped events */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": string;
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flow-reasons": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every reason a flow can record (core's registry): its code, Envoy's response flag, what it means */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["FlowReasonList"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flows/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One flow */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["FlowRecord"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/flows/{id}/diagram": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Mermaid sequence diagram of one flow, with its timings */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["FlowDiagram"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/services/{service}/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A service's golden metrics: the requests its dataplanes received (their inbound flows), errors by kind, latency p50/p90/p99 */
        get: {
            parameters: {
                query?: {
                    /** @description How far back: 5m (5 s steps), 15m (15 s steps) or 60m (1 min steps) */
                    window?: "5m" | "15m" | "60m";
                };
                header?: never;
                path: {
                    mesh: string;
                    service: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["GoldenMetrics"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/meshes/{mesh}/dataplanes/{name}/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A dataplane's golden metrics (its flows, both directions) and, per listener, a request counter and a latency histogram */
        get: {
            parameters: {
                query?: {
                    /** @description How far back: 5m (5 s steps), 15m (15 s steps) or 60m (1 min steps) */
                    window?: "5m" | "15m" | "60m";
                };
                header?: never;
                path: {
                    mesh: string;
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["GoldenMetrics"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens/dataplane": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Issue a dataplane token (kumactl generate dataplane-token): lets one dataplane connect as itself */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** @default default */
                        mesh?: string;
                        /** @description How long the token is valid (default Kuma’s 10y) */
                        validFor?: string;
                        tags?: {
                            [key: string]: string | string[];
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            token: string;
                            id: string;
                            expiresAt: string;
                            mesh: string;
                            name: string;
                        };
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens/admin": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Issue another admin token (kumactl generate user-token), valid for validFor; revoke it with DELETE /api/tokens/{id} */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** @description How long the token is valid (default Kuma’s 10y) */
                        validFor?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            token: string;
                            id: string;
                            expiresAt: string;
                        };
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Tokens issued, dataplane and admin (never the tokens themselves) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                id: string;
                                kind: string;
                                mesh: string;
                                name: string;
                                createdAt: string;
                                revokedAt: string | null;
                                expiresAt: string | null;
                                tags: {
                                    [key: string]: string[];
                                } | null;
                            }[];
                        };
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a token (dataplane or admin); a dataplane connected with it is cut off */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {boolean} */
                            revoked: true;
                        };
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
                /** @description error: code from the registry, message, and where (field path, line, column) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiError"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/control-plane/ca": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The CA (PEM) that signs the control plane’s TLS certificates, for dataplanes to pin */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": string;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        MeshList: {
            total: number;
            items: components["schemas"]["Mesh"][];
        };
        Mesh: {
            /** @constant */
            type: "Mesh";
            name: string;
            creationTime: string;
            modificationTime: string;
            dataplanes: {
                total: number;
                online: number;
            };
            policies: number;
            resource: {
                [key: string]: unknown;
            };
        };
        /** @description error: code from the registry, message, and where (field path, line, column) */
        ApiError: {
            code: string;
            message: string;
            issues: {
                path?: string;
                line?: number;
                column?: number;
                source?: string;
                document?: number;
                message: string;
            }[];
        };
        MeshMtls: {
            mesh: string;
            enabled: boolean;
            /** @enum {string} */
            mode?: "STRICT" | "PERMISSIVE";
            enabledBackend?: string;
            dpCertExpiration?: string;
            /** @enum {string} */
            identity: "certificate" | "certificate-or-address" | "address";
            cas: {
                backend: string;
                enabled: boolean;
                certificate: components["schemas"]["Certificate"];
            }[];
        };
        /** @description An X.509 certificate as shown (never a key) */
        Certificate: {
            subject: string;
            issuer: string;
            serial: string;
            notBefore: string;
            notAfter: string;
            sans: string[];
            fingerprint256: string;
        };
        DataplaneCertificate: {
            mesh: string;
            dataplane: string;
            backend: string;
            /** @enum {string} */
            mode: "STRICT" | "PERMISSIVE";
            certificate: components["schemas"]["Certificate"];
            nextRotation: string;
        };
        DataplaneList: {
            total: number;
            items: components["schemas"]["DataplaneSummary"][];
        };
        DataplaneSummary: {
            mesh: string;
            name: string;
            address: string;
            tags: {
                [key: string]: string;
            };
            connected: boolean;
            /** @enum {string} */
            status: "online" | "offline";
            lastSeen: string | null;
            connectedAt: string | null;
            configVersion: string | null;
            expectedVersion: string | null;
            pendingVersion: string | null;
            upToDate: boolean;
            /** @enum {string} */
            captureMode: "redirect" | "tproxy" | "explicit";
            totalUpdates: number;
            totalErrors: number;
            errors: components["schemas"]["DataplaneError"][];
            configSource: ("xds" | "channel") | null;
            xdsStreams: number;
            controlPlane?: {
                replica: string;
                url: string;
                self: boolean;
            } | null;
        };
        DataplaneError: {
            time: string;
            message: string;
            version?: string;
        };
        DataplaneDetail: {
            mesh: string;
            name: string;
            address: string;
            tags: {
                [key: string]: string;
            };
            connected: boolean;
            /** @enum {string} */
            status: "online" | "offline";
            lastSeen: string | null;
            connectedAt: string | null;
            configVersion: string | null;
            expectedVersion: string | null;
            pendingVersion: string | null;
            upToDate: boolean;
            /** @enum {string} */
            captureMode: "redirect" | "tproxy" | "explicit";
            totalUpdates: number;
            totalErrors: number;
            errors: components["schemas"]["DataplaneError"][];
            configSource: ("xds" | "channel") | null;
            xdsStreams: number;
            controlPlane?: {
                replica: string;
                url: string;
                self: boolean;
            } | null;
            inbounds: components["schemas"]["DataplanePort"][];
            outbounds: components["schemas"]["DataplanePort"][];
            statsAvailable: boolean;
            resource: {
                [key: string]: unknown;
            };
            source: string;
        };
        DataplanePort: {
            listener: string;
            address: string;
            port: number;
            protocol: string;
            service?: string;
            tags: {
                [key: string]: string;
            };
            serviceAddress?: string;
            servicePort?: number;
            vip?: string;
            dnsNames?: string[];
            stats: {
                [key: string]: number;
            };
        };
        PathDiagram: {
            /** @enum {string} */
            direction: "inbound" | "outbound";
            mermaid: string;
        };
        ListenerList: {
            configVersion: string;
            statsAvailable: boolean;
            items: components["schemas"]["Listener"][];
        };
        Listener: {
            name: string;
            /** @enum {string} */
            direction: "inbound" | "outbound";
            address: string;
            port: number;
            bind: boolean;
            useOriginalDst: boolean;
            transparent: boolean;
            /** @enum {string} */
            capture: "redirect" | "tproxy" | "explicit";
            /** @enum {string} */
            protocol: "tcp" | "http";
            cluster: string;
            service?: string;
            filters: string[];
            stats: {
                [key: string]: number;
            };
        };
        ClusterList: {
            items: components["schemas"]["Cluster"][];
        };
        Cluster: {
            name: string;
            /** @enum {string} */
            kind: "static" | "original_dst" | "service";
            endpoints: {
                address: string;
                port: number;
                healthFlags: string;
                rqTotal: number;
                rqError: number;
            }[];
            limits: {
                maxConnections: number;
                maxPendingRequests: number;
                maxRequests: number;
                maxRetries: number;
            };
            stats: {
                [key: string]: number;
            };
        };
        StatsResult: {
            stats: {
                [key: string]: number;
            };
        };
        RulesResult: {
            ruleset: components["schemas"]["Ruleset"];
            local: components["schemas"]["LocalNetwork"];
        };
        Ruleset: {
            tables: components["schemas"]["RuleTable"][];
            sources: components["schemas"]["RulesetSource"][];
            warnings: string[];
        };
        RuleTable: {
            /** @enum {string} */
            backend: "iptables" | "nftables";
            /** @enum {string} */
            family: "ip" | "ip6" | "inet";
            name: string;
            /** @enum {string} */
            flavour?: "nft" | "legacy";
            chains: components["schemas"]["RuleChain"][];
        };
        RuleChain: {
            name: string;
            base?: {
                /** @enum {string} */
                hook: "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING";
                priority: number;
                /** @enum {string} */
                type: "filter" | "nat" | "route";
            };
            /** @enum {string} */
            policy?: "ACCEPT" | "DROP";
            counters?: components["schemas"]["RuleCounters"];
            rules: components["schemas"]["Rule"][];
        };
        RuleCounters: {
            packets: number;
            bytes: number;
        };
        Rule: {
            /** @enum {string} */
            backend: "iptables" | "nftables";
            /** @enum {string} */
            family: "ip" | "ip6" | "inet";
            table: string;
            chain: string;
            index: number;
            handle?: number;
            text: string;
            comment?: string;
            ours: boolean;
            line?: number;
            counters?: components["schemas"]["RuleCounters"];
            matches: components["schemas"]["RuleMatch"][];
            actions: components["schemas"]["RuleAction"][];
        };
        RuleMatch: {
            /** @constant */
            kind: "protocol";
            negated: boolean;
            protocol: string;
        } | {
            /** @constant */
            kind: "family";
            negated: boolean;
            /** @enum {string} */
            family: "ipv4" | "ipv6";
        } | {
            /** @constant */
            kind: "address";
            /** @enum {string} */
            field: "source" | "destination";
            negated: boolean;
            cidrs: {
                /** @enum {string} */
                family: "ipv4" | "ipv6";
                text: string;
                address: string;
                prefixLength: number;
            }[];
        } | {
            /** @constant */
            kind: "interface";
            /** @enum {string} */
            field: "in" | "out";
            negated: boolean;
            name: string;
            wildcard: boolean;
        } | {
            /** @constant */
            kind: "port";
            /** @enum {string} */
            field: "source" | "destination" | "either";
            negated: boolean;
            ranges: {
                from: number;
                to: number;
            }[];
            protocol?: string;
        } | {
            /** @constant */
            kind: "owner";
            uid?: {
                negated: boolean;
                ranges: {
                    from: number;
                    to: number;
                }[];
            };
            gid?: {
                negated: boolean;
                ranges: {
                    from: number;
                    to: number;
                }[];
            };
            socketExists?: {
                negated: boolean;
            };
            supplementaryGroups: boolean;
        } | {
            /** @constant */
            kind: "mark";
            negated: boolean;
            value: number;
            mask: number;
        } | {
            /** @constant */
            kind: "connmark";
            negated: boolean;
            value: number;
            mask: number;
        } | {
            /** @constant */
            kind: "comment";
            comment: string;
        } | {
            /** @constant */
            kind: "conntrack";
            state?: {
                negated: boolean;
                states: ("NEW" | "ESTABLISHED" | "RELATED" | "INVALID" | "UNTRACKED" | "SNAT" | "DNAT")[];
            };
        } | {
            /** @constant */
            kind: "addrtype";
            source?: {
                negated: boolean;
                types: string[];
            };
            destination?: {
                negated: boolean;
                types: string[];
            };
            /** @enum {string} */
            limitIface?: "in" | "out";
        } | {
            /** @constant */
            kind: "socket";
            options: string[];
        } | {
            /** @constant */
            kind: "tcp-flags";
            negated: boolean;
            mask: string[];
            set: string[];
        } | {
            /** @constant */
            kind: "fragment";
            negated: boolean;
        } | {
            /** @constant */
            kind: "unknown";
            module?: string;
            text: string;
        };
        RuleAction: {
            /** @constant */
            kind: "jump";
            chain: string;
        } | {
            /** @constant */
            kind: "goto";
            chain: string;
        } | {
            /** @constant */
            kind: "accept";
        } | {
            /** @constant */
            kind: "drop";
        } | {
            /** @constant */
            kind: "return";
        } | {
            /** @constant */
            kind: "reject";
            with?: string;
        } | {
            /** @constant */
            kind: "redirect";
            ports?: {
                from: number;
                to: number;
            };
        } | {
            /** @constant */
            kind: "tproxy";
            port: number;
            address?: string;
            mark?: {
                value: number;
                mask: number;
            };
        } | {
            /** @constant */
            kind: "mark";
            change: {
                value: number;
                mask: number;
            };
        } | {
            /** @constant */
            kind: "connmark";
            /** @enum {string} */
            op: "set" | "save" | "restore";
            change?: {
                value: number;
                mask: number;
            };
            nfmask: number;
            ctmask: number;
        } | {
            /** @constant */
            kind: "ct";
            notrack: boolean;
            zone?: number;
            helper?: string;
            options: string[];
        } | {
            /** @constant */
            kind: "log";
            prefix?: string;
            level?: string;
        } | {
            /** @constant */
            kind: "dnat";
            to: string;
        } | {
            /** @constant */
            kind: "snat";
            to: string;
        } | {
            /** @constant */
            kind: "masquerade";
            ports?: {
                from: number;
                to: number;
            };
        } | {
            /** @constant */
            kind: "queue";
            text: string;
        } | {
            /** @constant */
            kind: "other";
            name: string;
            text: string;
        };
        RulesetSource: {
            /** @enum {string} */
            kind: "iptables-save" | "nft-json";
            /** @enum {string} */
            family?: "ip" | "ip6" | "inet";
            /** @enum {string} */
            flavour?: "nft" | "legacy";
            generatedBy?: string;
            origin?: string;
            unreadable?: string;
        };
        LocalNetwork: {
            interfaces: {
                name: string;
                addresses: {
                    /** @enum {string} */
                    family: "ipv4" | "ipv6";
                    address: string;
                    prefixLength: number;
                }[];
            }[];
        };
        TraceResult: {
            packet: {
                /** @enum {string} */
                direction: "inbound" | "outbound";
                src: string;
                dst: string;
                dstPort: number;
                srcPort?: number;
                /** @enum {string} */
                proto: "tcp" | "udp";
                uid?: number;
                gid?: number;
                mark?: number;
                inIface?: string;
                outIface?: string;
            };
            /** @enum {string} */
            family: "ipv4" | "ipv6";
            certain: boolean;
            verdict: components["schemas"]["TraceVerdict"] | {
                /** @constant */
                kind: "uncertain";
                possible: components["schemas"]["TraceVerdict"][];
            };
            decidedBy?: components["schemas"]["TraceDecider"];
            steps: components["schemas"]["TraceStep"][];
            outcomes: components["schemas"]["TraceOutcome"][];
            unknowns: {
                rule: components["schemas"]["RuleRef"];
                reasons: string[];
            }[];
            assumptions: string[];
            explorationLimited: boolean;
        };
        TraceVerdict: {
            /** @constant */
            kind: "captured";
            /** @enum {string} */
            mechanism: "REDIRECT" | "TPROXY";
            port: number;
            portTo?: number;
            address?: string;
        } | {
            /** @constant */
            kind: "dnat";
            address?: string;
            port?: number;
        } | {
            /** @constant */
            kind: "accepted";
            /** @enum {string} */
            delivery: "local" | "sent" | "forwarded";
            address: string;
            port: number;
            iface?: string;
        } | {
            /** @constant */
            kind: "dropped";
        } | {
            /** @constant */
            kind: "rejected";
            with?: string;
        } | {
            /** @constant */
            kind: "queued";
        } | {
            /** @constant */
            kind: "unknown";
            reason: string;
        };
        TraceDecider: {
            /** @constant */
            kind: "rule";
            rule: components["schemas"]["RuleRef"];
        } | {
            /** @constant */
            kind: "policy";
            /** @enum {string} */
            backend: "iptables" | "nftables";
            /** @enum {string} */
            family: "ip" | "ip6" | "inet";
            table: string;
            chain: string;
            /** @enum {string} */
            policy: "ACCEPT" | "DROP";
        };
        RuleRef: {
            /** @enum {string} */
            backend: "iptables" | "nftables";
            /** @enum {string} */
            family: "ip" | "ip6" | "inet";
            table: string;
            chain: string;
            index: number;
            handle?: number;
            text: string;
            comment?: string;
            ours: boolean;
        };
        TraceStep: {
            /** @enum {string} */
            hook: "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING";
            /** @enum {string} */
            backend: "iptables" | "nftables";
            /** @enum {string} */
            family: "ip" | "ip6" | "inet";
            table: string;
            chain: string;
            /** @enum {string} */
            kind: "rule" | "policy" | "chain-end" | "skip" | "event";
            rule?: components["schemas"]["RuleRef"];
            /** @enum {string} */
            result?: "matched" | "not-matched" | "unknown";
            assumedMatched?: boolean;
            matches?: {
                match: string;
                /** @enum {string} */
                result: "match" | "no-match" | "unknown";
                reason: string;
            }[];
            action?: string;
            note?: string;
        };
        TraceOutcome: {
            assumptions: {
                rule: components["schemas"]["RuleRef"];
                matched: boolean;
            }[];
            verdict: components["schemas"]["TraceVerdict"];
            decidedBy?: components["schemas"]["TraceDecider"];
            steps: components["schemas"]["TraceStep"][];
            matchedRules: components["schemas"]["RuleRef"][];
            final: {
                src?: string;
                dst?: string;
                dstPort?: number;
                mark: number;
            };
        };
        ConfigDumpVersionList: {
            running: string | null;
            latest: string | null;
            versions: components["schemas"]["ConfigDumpVersion"][];
        };
        ConfigDumpVersion: {
            version: string;
            recordedAt: string;
            running: boolean;
        };
        ConfigDumpDiff: {
            fromVersion?: string;
            toVersion?: string;
            changes: components["schemas"]["ConfigDumpChange"][];
            unified: string;
        };
        ConfigDumpChange: {
            /** @enum {string} */
            kind: "added" | "removed" | "changed";
            path: string;
            segments: unknown[];
            old?: unknown;
            new?: unknown;
        };
        DataplanePolicies: {
            mesh: string;
            dataplane: string;
            configVersion: string;
            policies: components["schemas"]["MatchedPolicy"][];
            attachments: components["schemas"]["PolicyAttachment"][];
            warnings: components["schemas"]["PolicyWarning"][];
        };
        MatchedPolicy: {
            type: string;
            name: string;
            mesh: string;
            targetRef: components["schemas"]["TargetRef"];
            enabled: boolean;
            inbounds: string[];
            outbounds: string[];
            where: string[];
        };
        TargetRef: {
            kind: string;
            name?: string;
            tags?: {
                [key: string]: string;
            };
            proxyTypes?: string[];
            namespace?: string;
            sectionName?: string;
        };
        PolicyAttachment: {
            /** @enum {string} */
            direction: "inbound" | "outbound";
            listener?: string;
            service: string;
            port?: number;
            protocol: string;
            policies: components["schemas"]["EffectivePolicy"][];
        };
        EffectivePolicy: {
            type: string;
            rules: {
                subset: components["schemas"]["SubsetTag"][];
                conf: unknown;
                origins: components["schemas"]["PolicyOrigin"][];
            }[];
            origins: components["schemas"]["PolicyOrigin"][];
        };
        SubsetTag: {
            key: string;
            value: string;
            not: boolean;
        };
        PolicyOrigin: {
            type: string;
            name: string;
            mesh: string;
            targetRefKind: string;
            /** @enum {string} */
            section: "from" | "to";
            entry: number;
            entryTargetRef: components["schemas"]["TargetRef"];
            enabled: boolean;
        };
        PolicyWarning: {
            code: string;
            message: string;
            policy?: {
                type: string;
                name: string;
                mesh: string;
            };
            inbound?: string;
            outbound?: string;
        };
        PolicyToggleResult: {
            mesh: string;
            dataplane: string;
            type: string;
            name: string;
            enabled: boolean;
            configVersion: string;
        };
        MeshPolicyList: {
            total: number;
            items: components["schemas"]["MeshPolicy"][];
        };
        MeshPolicy: {
            type: string;
            name: string;
            mesh: string;
            targetRef: components["schemas"]["TargetRef"];
            spec: unknown;
            creationTime: string;
            modificationTime: string;
            dataplanes: {
                total: number;
                disabled: number;
            };
        };
        AffectedDataplaneList: {
            total: number;
            items: components["schemas"]["AffectedDataplane"][];
        };
        AffectedDataplane: {
            mesh: string;
            dataplane: string;
            enabled: boolean;
            inbounds: {
                listener: string;
                entries: number[];
            }[];
            outbounds: {
                service: string;
                listener?: string;
                entries: number[];
            }[];
            where: {
                /** @enum {string} */
                direction: "inbound" | "outbound";
                listener: string;
            }[];
        };
        ApplyResult: {
            changes: components["schemas"]["ResourceChange"][];
        };
        ResourceChange: {
            type: string;
            mesh: string;
            name: string;
            /** @enum {string} */
            action: "created" | "updated" | "unchanged" | "deleted" | "absent";
            version: number;
        };
        StoredResource: {
            type: string;
            mesh: string;
            name: string;
            version: number;
            creationTime: string;
            modificationTime: string;
            resource: {
                [key: string]: unknown;
            };
            source: string;
        };
        FlowList: {
            total: number;
            items: components["schemas"]["FlowRecord"][];
            dropped: number;
            drops: components["schemas"]["FlowDrops"];
        };
        FlowRecord: {
            id: string;
            connectionId: string;
            start: number;
            mesh: string;
            dataplane: string;
            /** @enum {string} */
            direction: "inbound" | "outbound";
            listener: string;
            cluster: string;
            /** @enum {string} */
            capture: "redirect" | "tproxy" | "explicit";
            /** @enum {string} */
            protocol: "tcp" | "http";
            client: {
                address: string;
                port: number;
            };
            destination: {
                address: string;
                port: number;
            };
            upstream?: {
                address: string;
                port: number;
            };
            bytes: {
                fromClient: number;
                toClient: number;
            };
            http?: {
                method: string;
                authority: string;
                path: string;
                status?: number;
                requestBytes: number;
                responseBytes: number;
                requestId: string;
                upgraded?: boolean;
                attempts: number;
                /** @constant */
                version?: "HTTP/2";
                grpc?: {
                    service: string;
                    method: string;
                    status?: number;
                    message?: string;
                };
            };
            timings: {
                connectMs?: number;
                firstByteMs?: number;
                totalMs: number;
            };
            /** @enum {string} */
            verdict: "forwarded" | "denied" | "faulted" | "error";
            reason?: string;
            /** @enum {string} */
            close?: "fin" | "client_reset" | "upstream_reset" | "idle_timeout" | "local" | "drain";
            policies: {
                type: string;
                name: string;
                action: string;
            }[];
            tls?: {
                /** @enum {string} */
                mode: "mtls" | "plaintext";
                verified: boolean;
                peer?: string[];
                version?: string;
                cipher?: string;
            };
        };
        FlowDrops: {
            controlPlane: number;
            dataplanes: number;
            total: number;
        };
        FlowReasonList: {
            total: number;
            items: components["schemas"]["FlowReason"][];
        };
        FlowReason: {
            /** @description what `flow.reason` is, or starts with before `: ` and a detail */
            code: string;
            /** @description Envoy's response flag for the same condition (%RESPONSE_FLAGS%), null where Envoy has none */
            flag: string | null;
            /** @description what happened, for a person */
            means: string;
        };
        FlowDiagram: {
            id: string;
            mermaid: string;
        };
        GoldenMetrics: {
            mesh: string;
            service?: string;
            dataplane?: string;
            dataplanes: string[];
            /** @enum {string} */
            window: "5m" | "15m" | "60m";
            stepS: number;
            from: number;
            to: number;
            /** @description The oldest flow the control plane still holds: a window reaching further back counts from there */
            oldestFlow: number | null;
            totals: {
                requests: number;
                rate: number;
                /** @description Forwarded; the upstream answered 5xx */
                upstream5xx: number;
                /** @description Forwarded; the upstream answered 4xx */
                upstream4xx: number;
                /** @description Denied by a policy (traffic permission, rate limit) */
                denied: number;
                /** @description Answered by the proxy itself, other than a denial: injected faults and proxy failures */
                localReplies: number;
                p50Ms: number | null;
                p90Ms: number | null;
                p99Ms: number | null;
            };
            points: components["schemas"]["MetricsPoint"][];
            listeners: components["schemas"]["ListenerMetrics"][];
        };
        MetricsPoint: {
            /** @description Start of the step, ms since the epoch */
            t: number;
            requests: number;
            /** @description Requests per second */
            rate: number;
            /** @description Forwarded; the upstream answered 5xx */
            upstream5xx: number;
            /** @description Forwarded; the upstream answered 4xx */
            upstream4xx: number;
            /** @description Denied by a policy (traffic permission, rate limit) */
            denied: number;
            /** @description Answered by the proxy itself, other than a denial: injected faults and proxy failures */
            localReplies: number;
            p50Ms: number | null;
            p90Ms: number | null;
            p99Ms: number | null;
        };
        ListenerMetrics: {
            listener: string;
            /** @enum {string} */
            direction: "inbound" | "outbound";
            requests: number;
            /** @description Forwarded; the upstream answered 5xx */
            upstream5xx: number;
            /** @description Forwarded; the upstream answered 4xx */
            upstream4xx: number;
            /** @description Denied by a policy (traffic permission, rate limit) */
            denied: number;
            /** @description Answered by the proxy itself, other than a denial: injected faults and proxy failures */
            localReplies: number;
            p50Ms: number | null;
            p90Ms: number | null;
            p99Ms: number | null;
            histogram: {
                /** @description Upper bound (ms); null for the last, unbounded bucket */
                leMs: number | null;
                count: number;
            }[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type MeshList = components['schemas']['MeshList'];
export type Mesh = components['schemas']['Mesh'];
export type ApiError = components['schemas']['ApiError'];
export type MeshMtls = components['schemas']['MeshMtls'];
export type Certificate = components['schemas']['Certificate'];
export type DataplaneCertificate = components['schemas']['DataplaneCertificate'];
export type DataplaneList = components['schemas']['DataplaneList'];
export type DataplaneSummary = components['schemas']['DataplaneSummary'];
export type DataplaneError = components['schemas']['DataplaneError'];
export type DataplaneDetail = components['schemas']['DataplaneDetail'];
export type DataplanePort = components['schemas']['DataplanePort'];
export type PathDiagram = components['schemas']['PathDiagram'];
export type ListenerList = components['schemas']['ListenerList'];
export type Listener = components['schemas']['Listener'];
export type ClusterList = components['schemas']['ClusterList'];
export type Cluster = components['schemas']['Cluster'];
export type StatsResult = components['schemas']['StatsResult'];
export type RulesResult = components['schemas']['RulesResult'];
export type Ruleset = components['schemas']['Ruleset'];
export type RuleTable = components['schemas']['RuleTable'];
export type RuleChain = components['schemas']['RuleChain'];
export type RuleCounters = components['schemas']['RuleCounters'];
export type Rule = components['schemas']['Rule'];
export type RuleMatch = components['schemas']['RuleMatch'];
export type RuleAction = components['schemas']['RuleAction'];
export type RulesetSource = components['schemas']['RulesetSource'];
export type LocalNetwork = components['schemas']['LocalNetwork'];
export type TraceResult = components['schemas']['TraceResult'];
export type TraceVerdict = components['schemas']['TraceVerdict'];
export type TraceDecider = components['schemas']['TraceDecider'];
export type RuleRef = components['schemas']['RuleRef'];
export type TraceStep = components['schemas']['TraceStep'];
export type TraceOutcome = components['schemas']['TraceOutcome'];
export type ConfigDumpVersionList = components['schemas']['ConfigDumpVersionList'];
export type ConfigDumpVersion = components['schemas']['ConfigDumpVersion'];
export type ConfigDumpDiff = components['schemas']['ConfigDumpDiff'];
export type ConfigDumpChange = components['schemas']['ConfigDumpChange'];
export type DataplanePolicies = components['schemas']['DataplanePolicies'];
export type MatchedPolicy = components['schemas']['MatchedPolicy'];
export type TargetRef = components['schemas']['TargetRef'];
export type PolicyAttachment = components['schemas']['PolicyAttachment'];
export type EffectivePolicy = components['schemas']['EffectivePolicy'];
export type SubsetTag = components['schemas']['SubsetTag'];
export type PolicyOrigin = components['schemas']['PolicyOrigin'];
export type PolicyWarning = components['schemas']['PolicyWarning'];
export type PolicyToggleResult = components['schemas']['PolicyToggleResult'];
export type MeshPolicyList = components['schemas']['MeshPolicyList'];
export type MeshPolicy = components['schemas']['MeshPolicy'];
export type AffectedDataplaneList = components['schemas']['AffectedDataplaneList'];
export type AffectedDataplane = components['schemas']['AffectedDataplane'];
export type ApplyResult = components['schemas']['ApplyResult'];
export type ResourceChange = components['schemas']['ResourceChange'];
export type StoredResource = components['schemas']['StoredResource'];
export type FlowList = components['schemas']['FlowList'];
export type FlowRecord = components['schemas']['FlowRecord'];
export type FlowDrops = components['schemas']['FlowDrops'];
export type FlowReasonList = components['schemas']['FlowReasonList'];
export type FlowReason = components['schemas']['FlowReason'];
export type FlowDiagram = components['schemas']['FlowDiagram'];
export type GoldenMetrics = components['schemas']['GoldenMetrics'];
export type MetricsPoint = components['schemas']['MetricsPoint'];
export type ListenerMetrics = components['schemas']['ListenerMetrics'];
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
