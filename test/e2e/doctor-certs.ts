import {execFileSync} from 'node:child_process'

import {createCA, issueClientCertificate, type KeyPair} from '../../src/pki/certificates.js'

/**
 * Certificates for the doctor faults, made with the project's own PKI:
 * `client install --cert-days` takes whole days, so an expired certificate is
 * issued directly with a validity window in the past, signed by the gateway's
 * real CA (read from its Secret), and one from a CA of its own for "signed by
 * another CA".
 */

const kubectl = (kubeconfig: string, context: string, args: string[], input?: string) =>
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, '--context', context, ...args], {encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe']})

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8')

export function readKeyPair(kubeconfig: string, context: string, namespace: string, secret: string): KeyPair & {ca?: string} {
  const data = (JSON.parse(kubectl(kubeconfig, context, ['get', 'secret', secret, '-n', namespace, '-o', 'json'])) as {data: Record<string, string>}).data
  return {cert: decode(data['tls.crt']), key: decode(data['tls.key']), ...(data['ca.crt'] ? {ca: decode(data['ca.crt'])} : {})}
}

/** A client certificate that expired yesterday, from the gateway's CA. */
export function expiredCertificate(ca: KeyPair, commonName: string): KeyPair {
  const day = 86_400_000
  const issued = issueClientCertificate(ca, {commonName, notBefore: new Date(Date.now() - 30 * day), notAfter: new Date(Date.now() - day)})
  return {cert: issued.cert, key: issued.key}
}

/** A valid client certificate from a CA that is not the gateway's. */
export function foreignCertificate(commonName: string): KeyPair {
  const other = createCA({commonName: 'some-other-ca', validityDays: 30})
  const issued = issueClientCertificate(other, {commonName, validityDays: 30})
  return {cert: issued.cert, key: issued.key}
}

/** Writes a key pair into the provider's client Secret (keeping its ca.crt) and restarts the client on it. */
export function installKeyPair(kubeconfig: string, context: string, namespace: string, pair: KeyPair, caCert: string): void {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name: 'service-gw-client-certificates', namespace},
    type: 'kubernetes.io/tls',
    data: {'tls.crt': Buffer.from(pair.cert).toString('base64'), 'tls.key': Buffer.from(pair.key).toString('base64'), 'ca.crt': Buffer.from(caCert).toString('base64')},
  }
  kubectl(kubeconfig, context, ['replace', '-f', '-'], JSON.stringify(secret))
  kubectl(kubeconfig, context, ['rollout', 'restart', 'deployment/svcgw-client', '-n', namespace])
}
