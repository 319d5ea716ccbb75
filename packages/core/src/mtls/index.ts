export { createBuiltinCa, identitySans, issueDataplaneCertificate, rotationTime, summarizeCertificate, uriSans, type CaMaterial, type CertificateSummary, type IssuedCertificate } from './ca.ts';
export { parseKumaDuration } from './duration.ts';
export { caSecretName, identitySecretName, meshServiceSni, mtlsSecrets, redactSecret, spiffeId, type MtlsMode, type MtlsRendering } from './envoy.ts';
