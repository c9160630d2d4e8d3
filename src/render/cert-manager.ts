import type {KubeObject} from '../kube/object.js'
import type {IssuerRef, PkiSettings} from '../registry/settings.js'
import {validateClientName, validateNamespaceName} from '../registry/validate.js'
import {labelsFor} from './objects.js'
import {names, SERVER_COMMON_NAME} from './names.js'

/**
 * cert-manager's objects for the gateway, as pure functions: our CA chain in
 * the gateway namespace (a self-signed Issuer, a CA Certificate, a CA Issuer
 * signing with it) and one Certificate for the server and for each client.
 * cert-manager writes their Secrets; the plugin copies a client's to its
 * provider. Reached through Cluster.apply/read/list like any object, with
 * the types below (only the fields we use).
 */
export const CERT_MANAGER_API = 'cert-manager.io/v1'

export const cmNames = {
  selfSigned: 'svcgw-selfsigned',
  /** The first CA; a CA rotation makes svcgw-ca-ID. */
  ca: 'svcgw-ca',
  server: 'svcgw-server',
  client: (client: string): string => `svcgw-client-${client}`,
  clientSecret: (client: string): string => `service-gw-client-${client}`,
} as const

/** The Secret a CA of our chain is kept in: service-gw-ca for svcgw-ca, service-gw-ca-ID for svcgw-ca-ID. */
export const caSecretNameOf = (caName: string): string => caName.replace(/^svcgw-ca/, names.ca)

/** cert-manager's default CA lifetime is ours too: ten years. */
export const CA_DURATION = '87600h'
/** Three years, the chart's default for the server and client certificates. */
export const DEFAULT_LEAF_DURATION = '26280h'

export interface Condition {
  type: string
  status: string
  reason?: string
  message?: string
  observedGeneration?: number
  lastTransitionTime?: string
}

export interface CertificateObject extends KubeObject {
  metadata: KubeObject['metadata'] & {generation?: number}
  spec: {
    secretName: string
    commonName?: string
    isCA?: boolean
    duration?: string
    renewBefore?: string
    usages?: string[]
    issuerRef: {name: string; kind?: string; group?: string}
    [key: string]: unknown
  }
  status?: {
    conditions?: Condition[]
    revision?: number
    notAfter?: string
    renewalTime?: string
  }
}

export interface IssuerObject extends KubeObject {
  metadata: KubeObject['metadata'] & {generation?: number}
  spec: {ca?: {secretName: string}; selfSigned?: object; [key: string]: unknown}
  status?: {conditions?: Condition[]}
}

export const conditionOf = (object: {status?: {conditions?: Condition[]}} | undefined, type: string): Condition | undefined =>
  object?.status?.conditions?.find((c) => c.type === type)

const meta = (name: string, namespace: string) => ({name, namespace, labels: labelsFor('server')})

// 2048-bit RSA like the plugin's own certificates; a new key at every issuance.
const PRIVATE_KEY = {algorithm: 'RSA', size: 2048, rotationPolicy: 'Always'}

export function selfSignedIssuer(namespace: string): IssuerObject {
  return {apiVersion: CERT_MANAGER_API, kind: 'Issuer', metadata: meta(cmNames.selfSigned, namespace), spec: {selfSigned: {}}}
}

/** A CA of our chain: a self-signed CA certificate (its common name unique per CA, see newCaCommonName). */
export function caCertificate(name: string, commonName: string, namespace: string): CertificateObject {
  return {
    apiVersion: CERT_MANAGER_API,
    kind: 'Certificate',
    metadata: meta(name, namespace),
    spec: {
      isCA: true,
      commonName,
      secretName: caSecretNameOf(name),
      duration: CA_DURATION,
      privateKey: PRIVATE_KEY,
      issuerRef: {name: cmNames.selfSigned, kind: 'Issuer', group: 'cert-manager.io'},
      secretTemplate: {labels: labelsFor('server')},
    },
  }
}

export function caIssuer(name: string, namespace: string): IssuerObject {
  return {apiVersion: CERT_MANAGER_API, kind: 'Issuer', metadata: meta(name, namespace), spec: {ca: {secretName: caSecretNameOf(name)}}}
}

function leaf(name: string, secretName: string, commonName: string, usage: 'server auth' | 'client auth', namespace: string, issuer: IssuerRef, pki: PkiSettings): CertificateObject {
  return {
    apiVersion: CERT_MANAGER_API,
    kind: 'Certificate',
    metadata: meta(name, namespace),
    spec: {
      commonName,
      secretName,
      duration: pki.duration ?? DEFAULT_LEAF_DURATION,
      ...(pki.renewBefore ? {renewBefore: pki.renewBefore} : {}),
      usages: [usage, 'digital signature', 'key encipherment'],
      privateKey: PRIVATE_KEY,
      issuerRef: {name: issuer.name, kind: issuer.kind, group: 'cert-manager.io'},
      secretTemplate: {labels: labelsFor('server')},
    },
  }
}

/** The server's certificate, into the chart's Secret name (serverAuth, CN svcgw-server, which clients verify). */
export function serverCertificate(namespace: string, issuer: IssuerRef, pki: PkiSettings): CertificateObject {
  validateNamespaceName(namespace)
  return leaf(cmNames.server, names.serverCertificates, SERVER_COMMON_NAME, 'server auth', namespace, issuer, pki)
}

/** One client's certificate (clientAuth, CN = client name), in the server's namespace; its Secret is copied to the provider. */
export function clientCertificate(client: string, namespace: string, issuer: IssuerRef, pki: PkiSettings): CertificateObject {
  validateClientName(client)
  return leaf(cmNames.client(client), cmNames.clientSecret(client), client, 'client auth', namespace, issuer, pki)
}
