import {notFoundError} from '../errors.js'
import {Cluster} from '../kube/cluster.js'
import type {Secret} from '../kube/object.js'
import type {KeyPair} from '../pki/certificates.js'
import {names, secretKeys} from '../render/names.js'
import type {ServerSecrets} from '../render/server.js'

const decode = (secret: Secret | undefined, key: string): string | undefined => {
  const value = secret?.data?.[key]
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8')
}

const readSecret = (cluster: Cluster, namespace: string, name: string) => cluster.read<Secret>({apiVersion: 'v1', kind: 'Secret', name, namespace})

function pair(secret: Secret | undefined): KeyPair | undefined {
  const cert = decode(secret, secretKeys.cert)
  const key = decode(secret, secretKeys.key)
  return cert && key ? {cert, key} : undefined
}

/** The server's key material as stored, or undefined for a first install. */
export async function readServerSecrets(cluster: Cluster, namespace: string): Promise<ServerSecrets | undefined> {
  const [ca, server, tlsCrypt] = await Promise.all([
    readSecret(cluster, namespace, names.ca),
    readSecret(cluster, namespace, names.serverCertificates),
    readSecret(cluster, namespace, names.tlsCrypt),
  ])
  const caPair = pair(ca)
  const serverPair = pair(server)
  const key = decode(tlsCrypt, secretKeys.tlsCrypt)
  if (!caPair || !serverPair || !key) return undefined
  return {ca: caPair, server: serverPair, tlsCrypt: key}
}

/** What a command that needs the server's keys says when they are not there. */
export const missingServerKeys = (cluster: Cluster, namespace: string) =>
  notFoundError(
    `the gateway's CA or server certificate is missing in namespace "${namespace}" of context "${cluster.context}"`,
    'run "kubectl svcgw server install" to create them',
  )

export async function requireServerSecrets(cluster: Cluster, namespace: string): Promise<ServerSecrets> {
  const secrets = await readServerSecrets(cluster, namespace)
  if (!secrets) throw missingServerKeys(cluster, namespace)
  return secrets
}

/** A client's certificate and key as its provider holds them. */
export async function readClientKeyPair(cluster: Cluster, namespace: string): Promise<KeyPair | undefined> {
  return pair(await readSecret(cluster, namespace, names.clientCertificates))
}

/** What a provider's client Secret holds: its key pair and the CAs of its ca.crt. */
export async function readClientKeys(cluster: Cluster, namespace: string): Promise<{pair: KeyPair; ca?: string} | undefined> {
  const secret = await readSecret(cluster, namespace, names.clientCertificates)
  const held = pair(secret)
  if (!held) return undefined
  const ca = decode(secret, secretKeys.ca)
  return {pair: held, ...(ca ? {ca} : {})}
}
