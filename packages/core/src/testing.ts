/**
 * `@meshcap/core/testing`: what tests use to check meshcap's output, kept out of the engine's public
 * surface (`index.ts`) so no runtime code can come to depend on a test oracle. Today: the strict
 * reader of Envoy JSON against Envoy's own protos, which tests run over config dumps and xDS
 * resources (the e2e suite over the dashboard's downloads); and the resource fixtures tests apply
 * (`dataplaneYaml`, the docs' seed Dataplane, a few policies), so a manifest's shape is written once;
 * and `meshcapErrorOf`, the coded error a call throws.
 */
export { assertEnvoyJson, checkEnvoyJson, checkEnvoyJsonWith, type EnvoyProtoCheckOptions, type EnvoyProtoIssue } from './xds/envoy-proto-check.ts';
export { allowAllPermissionYaml, dataplaneYaml, faultDelayYaml, httpRetryYaml, resourcesYaml, SEED_DATAPLANE_YAML, type DataplaneFixture, type InboundFixture, type OutboundFixture } from './testing/resources.ts';
export { meshcapErrorOf } from './testing/errors.ts';
