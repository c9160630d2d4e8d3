import {V1Deployment} from '@kubernetes/client-node'

import {SvcgwError} from '../errors.js'
import {Cluster} from '../kube/cluster.js'
import {execCapture, runningPod} from '../kube/exec.js'
import {rolloutDone} from '../kube/wait.js'
import {daysLeft, inspectCertificate} from '../pki/inspect.js'
import {Registry, servedBy} from '../registry/types.js'
import {names} from '../render/names.js'
import {labelSelectorFor} from '../render/objects.js'
import {discoverEndpoint} from './endpoint.js'
import {Home} from './home.js'
import {readServerSecrets} from './key-material.js'
import {providerOf} from './providers.js'
import {readServerHealth, ServerHealth} from './server-health.js'

export type Verdict = 'healthy' | 'degraded' | 'down'

export interface ClientStatus {
  name: string
  context?: string
  tunnelIP: string
  /** The client Deployment in its provider: null when that cluster could not be asked. */
  ready: boolean | null
  connected: boolean
  realAddress?: string
  connectedSince?: string
  bytesReceived?: number
  bytesSent?: number
  certDaysLeft: number
  problem?: string
}

export interface BackendStatus {
  client: string
  status: string
}

export interface ServiceStatus {
  name: string
  port: number
  internalPort: number
  target: string
  backends: BackendStatus[]
  up: number
}

export interface StatusReport {
  verdict: Verdict
  message: string
  server: {
    context: string
    namespace: string
    ready: boolean
    replicas: string
    endpoint?: string
    /** Why live data (OpenVPN status, HAProxy stats) is missing, if it is. */
    liveData?: string
  }
  clients: ClientStatus[]
  services: ServiceStatus[]
  certificates: {caDaysLeft?: number; serverDaysLeft?: number}
  checkedAt: string
}

const CERT_WARN_DAYS = 30

async function deploymentReady(cluster: Cluster, namespace: string, name: string): Promise<{ready: boolean; replicas: string}> {
  const d = await cluster.read<V1Deployment>({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name, namespace}})
  if (!d) return {ready: false, replicas: 'missing'}
  return {ready: rolloutDone(d), replicas: `${d.status?.availableReplicas ?? 0}/${d.spec?.replicas ?? 1}`}
}

async function clientReady(client: Registry['clients'][number], kubeconfig: string | undefined): Promise<{ready: boolean | null; problem?: string}> {
  if (!client.context) return {ready: null, problem: 'no context known (exported client)'}
  try {
    const provider = providerOf(client, kubeconfig)
    return {ready: (await deploymentReady(provider.cluster, provider.namespace, names.clientDeployment)).ready}
  } catch (error) {
    if (error instanceof SvcgwError) return {ready: null, problem: error.message}
    throw error
  }
}

/** Reads live tunnel and backend state from the server pod, if it runs. */
async function liveServerData(home: Home): Promise<ServerHealth | string> {
  const pod = await runningPod(home.cluster, home.namespace, labelSelectorFor('server'))
  if (!pod?.metadata?.name) return 'the server pod is not running'
  try {
    return await readServerHealth((container, command) => execCapture(home.cluster, home.namespace, pod.metadata!.name!, container, command))
  } catch (error) {
    if (error instanceof SvcgwError) return error.message
    throw error
  }
}

function verdictOf(report: Omit<StatusReport, 'verdict' | 'message'>): {verdict: Verdict; message: string} {
  const problems: string[] = []
  if (!report.server.ready) return {verdict: 'down', message: `the server is not ready (${report.server.replicas})`}
  if (report.server.liveData) problems.push(report.server.liveData)
  const disconnected = report.clients.filter((c) => !c.connected).map((c) => c.name)
  if (report.clients.length > 0 && disconnected.length === report.clients.length && !report.server.liveData) {
    return {verdict: 'down', message: `no client is connected (${disconnected.join(', ')})`}
  }
  if (disconnected.length > 0 && !report.server.liveData) problems.push(`not connected: ${disconnected.join(', ')}`)
  const notReady = report.clients.filter((c) => c.ready === false).map((c) => c.name)
  if (notReady.length > 0) problems.push(`client deployments not ready: ${notReady.join(', ')}`)
  const dead = report.services.filter((s) => s.backends.length > 0 && s.up === 0).map((s) => s.name)
  if (dead.length > 0) problems.push(`no backend up for: ${dead.join(', ')}`)
  const expiring = [
    ...(report.certificates.caDaysLeft !== undefined && report.certificates.caDaysLeft < CERT_WARN_DAYS ? ['ca'] : []),
    ...(report.certificates.serverDaysLeft !== undefined && report.certificates.serverDaysLeft < CERT_WARN_DAYS ? ['server'] : []),
    ...report.clients.filter((c) => c.certDaysLeft < CERT_WARN_DAYS).map((c) => c.name),
  ]
  if (expiring.length > 0) problems.push(`certificates expiring within ${CERT_WARN_DAYS} days: ${expiring.join(', ')}`)
  if (problems.length > 0) return {verdict: 'degraded', message: problems.join('; ')}
  const n = report.clients.length
  return {verdict: 'healthy', message: `${n} client${n === 1 ? '' : 's'} connected, ${report.services.length} service(s) exposed, every backend up`}
}

/** Everything an operator asks of the gateway, in one report with a verdict. */
export async function gatewayStatus(home: Home, kubeconfig: string | undefined): Promise<StatusReport> {
  const {registry, settings} = await home.store.load()
  const [server, secrets, live, endpoint, readiness] = await Promise.all([
    deploymentReady(home.cluster, home.namespace, names.serverDeployment),
    readServerSecrets(home.cluster, home.namespace),
    liveServerData(home),
    discoverEndpoint(home.cluster, home.namespace, settings, true).catch(() => undefined),
    Promise.all(registry.clients.map((c) => clientReady(c, kubeconfig))),
  ])
  const health = typeof live === 'string' ? undefined : live
  const clients: ClientStatus[] = registry.clients.map((c, i) => {
    const session = health?.tunnels.find((t) => t.commonName === c.name)
    return {
      name: c.name,
      ...(c.context ? {context: c.context} : {}),
      tunnelIP: c.tunnelIP,
      ready: readiness[i].ready,
      connected: Boolean(session),
      ...(session
        ? {realAddress: session.realAddress, connectedSince: session.connectedSince, bytesReceived: session.bytesReceived, bytesSent: session.bytesSent}
        : {}),
      certDaysLeft: daysLeft(new Date(c.notAfter)),
      ...(readiness[i].problem ? {problem: readiness[i].problem} : {}),
    }
  })
  const services: ServiceStatus[] = registry.services.map((s) => {
    const serving = registry.clients.filter((c) => servedBy(s, c.name))
    const backends = serving.map((c) => ({client: c.name, status: health?.backends[s.name]?.[c.name] ?? 'unknown'}))
    return {
      name: s.name,
      port: s.port,
      internalPort: s.internalPort,
      target: `${s.clientService.name}.${s.clientService.namespace}:${s.clientService.port}`,
      backends,
      up: backends.filter((b) => b.status === 'UP').length,
    }
  })
  const partial = {
    server: {
      context: home.cluster.context,
      namespace: home.namespace,
      ready: server.ready,
      replicas: server.replicas,
      ...(endpoint ? {endpoint: `${endpoint.address}:${endpoint.port}`} : {}),
      ...(typeof live === 'string' ? {liveData: live} : {}),
    },
    clients,
    services,
    certificates: secrets
      ? {caDaysLeft: daysLeft(inspectCertificate(secrets.ca.cert).notAfter), serverDaysLeft: daysLeft(inspectCertificate(secrets.server.cert).notAfter)}
      : {},
    checkedAt: new Date().toISOString(),
  }
  return {...verdictOf(partial), ...partial}
}
