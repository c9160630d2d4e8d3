import type {ClusterSet} from '../cluster/up.js'
import {kubectl, waitFor} from '../cluster/workloads.js'

type Obj = {apiVersion: string; kind: string; metadata: {name: string; namespace?: string; labels?: Record<string, string>}; spec?: Record<string, unknown>; data?: Record<string, string>}
type PodSpec = {
  serviceAccountName?: string
  containers: Array<{volumeMounts?: Array<{name: string}>}>
  volumes: Array<{name: string; configMap?: {name: string}; secret?: {secretName: string}}>
}

const HELM = {'app.kubernetes.io/managed-by': 'Helm'}
const chartName = (name: string) => name.replace(/^svcgw-/, 'chart-')

function read(set: ClusterSet, ctx: string, ns: string, kind: string, name: string): Obj {
  return JSON.parse(kubectl(set, ctx, ['-n', ns, 'get', kind, name, '-o', 'json'])) as Obj
}

/** Created, not applied: the chart's objects carry another field manager than the plugin's (Helm's is "helm"). */
function create(set: ClusterSet, ctx: string, objects: Obj[]): void {
  kubectl(set, ctx, ['create', '--field-manager=helm', '-f', '-'], JSON.stringify({apiVersion: 'v1', kind: 'List', items: objects}))
}

/** The chart's copy of one of the plugin's ConfigMaps: another name, and the OpenVPN config without tls-crypt. */
function chartConfigMap(set: ClusterSet, ctx: string, ns: string, name: string): Obj {
  const cm = read(set, ctx, ns, 'configmap', name)
  const data = Object.fromEntries(Object.entries(cm.data ?? {}).map(([k, v]) => [k, v.split('\n').filter((l) => !l.startsWith('tls-crypt ')).join('\n')]))
  return {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: chartName(name), namespace: ns, labels: HELM}, data}
}

/** The chart's Deployment from the plugin's: its own name and labels, the chart's ConfigMaps, no tls-crypt volume. */
function chartDeployment(set: ClusterSet, ctx: string, ns: string, from: string, name: string): Obj {
  const d = read(set, ctx, ns, 'deployment', from) as Obj & {spec: {template: {spec: PodSpec}}}
  const pod = d.spec.template.spec
  pod.serviceAccountName = 'default'
  pod.volumes = pod.volumes.filter((v) => v.name !== 'tls-crypt').map((v) => (v.configMap ? {...v, configMap: {...v.configMap, name: chartName(v.configMap.name)}} : v))
  for (const c of pod.containers) c.volumeMounts = (c.volumeMounts ?? []).filter((m) => m.name !== 'tls-crypt')
  const labels = {app: name}
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name, namespace: ns, labels: {...HELM, ...labels}},
    spec: {replicas: 1, strategy: {type: 'Recreate'}, selector: {matchLabels: labels}, template: {metadata: {labels}, spec: pod}},
  }
}

/**
 * Turns a gateway the plugin installed in namespaces `server` (ctx-a) and
 * `client` (ctx-b), with its tunnel Service of type NodePort and services
 * exposed, into a stand-in for the Helm chart's install: Deployments
 * `service-gw-server` and `service-gw-client` (labels app=…, the plugin's
 * image and scripts, config copied to chart-* ConfigMaps) WITHOUT
 * tls-crypt, the chart's tunnel Service on the same nodePort (so the
 * client's config still holds), and consumer Services of the exposed
 * names selecting the chart's server pod, created under field manager
 * "helm". The chart's Secrets (service-gw-*-certificates) stay as they
 * are; every other object of the plugin goes (registry, CA key, tls-crypt
 * key, its Deployments, ConfigMaps and Services). Returns once the
 * chart's client is Ready, i.e. its tunnel to the chart's server is up.
 */
export function makeChartStandIn(set: ClusterSet, exposed: string[]): void {
  const [a, b] = ['ctx-a', 'ctx-b']
  const serverMaps = ['svcgw-scripts', 'svcgw-server-openvpn', 'svcgw-server-ccd', 'svcgw-server-crl', 'svcgw-server-haproxy', 'svcgw-server-trust']
  create(set, a, [...serverMaps.map((n) => chartConfigMap(set, a, 'server', n)), chartDeployment(set, a, 'server', 'svcgw-server', 'service-gw-server')])
  waitFor(set, a, 'server', 'deployment/service-gw-server', 120)
  const tunnel = read(set, a, 'server', 'service', 'svcgw-server') as Obj & {spec: {ports: Array<Record<string, unknown>>}}
  const consumers = exposed.map((name) => read(set, a, 'server', 'service', name) as Obj & {spec: {ports: Array<Record<string, unknown>>}})
  kubectl(set, a, ['-n', 'server', 'delete', 'deployment', 'svcgw-server'])
  kubectl(set, a, ['-n', 'server', 'delete', 'service', 'svcgw-server', ...exposed])
  const port = (p: Record<string, unknown>) => ({port: p.port, targetPort: p.targetPort, protocol: p.protocol, ...(p.nodePort ? {nodePort: p.nodePort} : {})})
  const selector = {app: 'service-gw-server'}
  create(set, a, [
    {apiVersion: 'v1', kind: 'Service', metadata: {name: 'service-gw-server', namespace: 'server', labels: HELM}, spec: {type: 'NodePort', selector, ports: tunnel.spec.ports.map(port)}},
    ...consumers.map((s): Obj => ({apiVersion: 'v1', kind: 'Service', metadata: {name: s.metadata.name, namespace: 'server', labels: HELM}, spec: {selector, ports: s.spec.ports.map(port)}})),
  ])
  const clientMaps = ['svcgw-scripts', 'svcgw-client-openvpn', 'svcgw-client-haproxy']
  create(set, b, [...clientMaps.map((n) => chartConfigMap(set, b, 'client', n)), chartDeployment(set, b, 'client', 'svcgw-client', 'service-gw-client')])
  kubectl(set, b, ['-n', 'client', 'delete', 'deployment', 'svcgw-client'])
  waitFor(set, b, 'client', 'deployment/service-gw-client', 120)
  // What the chart never had: the plugin's registry, CA key, tls-crypt key and config.
  kubectl(set, a, ['-n', 'server', 'delete', 'configmap', 'svcgw-registry', ...serverMaps])
  kubectl(set, a, ['-n', 'server', 'delete', 'secret', 'service-gw-ca', 'service-gw-tls-crypt'])
  kubectl(set, b, ['-n', 'client', 'delete', 'configmap', ...clientMaps])
  kubectl(set, b, ['-n', 'client', 'delete', 'secret', 'service-gw-tls-crypt'])
}
