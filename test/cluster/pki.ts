import {generateKeyPairSync} from 'node:crypto'
import yaml from 'js-yaml'

import {createCA, issueClientCertificate, issueServerCertificate, type KeyPair} from '../../src/pki/certificates.js'

/** One cluster's certificates: its CA, the apiserver's serving certificate, and a client per user and component. */
export interface ClusterPki {
  ca: KeyPair
  serving: KeyPair
  admin: KeyPair
  restricted: KeyPair
  /** system:node:<name> in system:nodes, as the Node authorizer wants it. */
  kubelet: KeyPair
  proxy: KeyPair
  scheduler: KeyPair
  coredns: KeyPair
  serviceAccount: {key: string; pub: string}
}

/** The restricted user: no RBAC bindings; tests bind Roles to it. */
export const RESTRICTED_USER = 'svcgw-restricted'
export const COREDNS_USER = 'system:coredns'

export function clusterPki(nodeName: string, apiserverIPs: string[]): ClusterPki {
  const ca = createCA({commonName: 'testcp-ca'})
  const client = (commonName: string, organization?: string) => issueClientCertificate(ca, {commonName, organization})
  const sa = generateKeyPairSync('rsa', {modulusLength: 2048})
  return {
    ca,
    serving: issueServerCertificate(ca, {
      commonName: 'kube-apiserver',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ipAddresses: ['127.0.0.1', '10.96.0.1', ...apiserverIPs],
    }),
    admin: client('admin', 'system:masters'),
    restricted: client(RESTRICTED_USER),
    kubelet: client(`system:node:${nodeName}`, 'system:nodes'),
    proxy: client('system:kube-proxy'),
    scheduler: client('system:kube-scheduler'),
    coredns: client(COREDNS_USER),
    serviceAccount: {
      key: sa.privateKey.export({type: 'pkcs8', format: 'pem'}).toString(),
      pub: sa.publicKey.export({type: 'spki', format: 'pem'}).toString(),
    },
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64')

/** A kubeconfig with one context, for a component. */
export function componentKubeconfig(server: string, ca: KeyPair, user: KeyPair): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{name: 'cluster', cluster: {server, 'certificate-authority-data': b64(ca.cert)}}],
    users: [{name: 'user', user: {'client-certificate-data': b64(user.cert), 'client-key-data': b64(user.key)}}],
    contexts: [{name: 'default', context: {cluster: 'cluster', user: 'user'}}],
    'current-context': 'default',
  })
}

/** The tests' kubeconfig: ctx-<x> (admin, system:masters) and ctx-<x>-restricted per cluster. */
export function usersKubeconfig(clusters: Array<{name: string; port: number; pki: ClusterPki}>): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters.map((c) => ({
      name: `cluster-${c.name}`,
      cluster: {server: `https://127.0.0.1:${c.port}`, 'certificate-authority-data': b64(c.pki.ca.cert)},
    })),
    users: clusters.flatMap((c) => [
      {name: `admin-${c.name}`, user: {'client-certificate-data': b64(c.pki.admin.cert), 'client-key-data': b64(c.pki.admin.key)}},
      {name: `restricted-${c.name}`, user: {'client-certificate-data': b64(c.pki.restricted.cert), 'client-key-data': b64(c.pki.restricted.key)}},
    ]),
    contexts: clusters.flatMap((c) => [
      {name: `ctx-${c.name}`, context: {cluster: `cluster-${c.name}`, user: `admin-${c.name}`}},
      {name: `ctx-${c.name}-restricted`, context: {cluster: `cluster-${c.name}`, user: `restricted-${c.name}`}},
    ]),
    'current-context': `ctx-${clusters[0].name}`,
  })
}
