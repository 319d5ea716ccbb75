export { createBuiltinCa, identitySans, issueDataplaneCertificate, issueServerCertificate, rotationTime, summarizeCertificate, uriSans, type CaMaterial, type CertificateSummary, type IssuedCertificate, type ServerCertificateOptions } from './ca.ts';
export { parseKumaDuration } from './duration.ts';
export { caSecretName, identitySecretName, meshServiceSni, mtlsSecrets, redactSecret, spiffeId, type MtlsMode, type MtlsRendering } from './envoy.ts';
