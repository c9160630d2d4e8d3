import {SvcgwError} from '../errors.js'
import {Cluster} from '../kube/cluster.js'
import type {Deployment} from '../kube/object.js'
import {podHttpGet, runningPod} from '../kube/pods.js'
import {rolloutDone} from '../kube/wait.js'
import {daysLeft} from '../pki/inspect.js'
import {type Registry, servedBy} from '../registry/types.js'
import {formatEndpoint} from '../registry/validate.js'
import {names} from '../render/names.js'
import {labelSelectorFor} from '../render/objects.js'
import {discoverEndpoint} from './endpoint.js'
import {Home} from './home.js'
import {providerOf} from './providers.js'
import {STATS_PORT} from '../dataplane/layout.js'
import {readServerHealth, type ServerHealth, STATS_PATH} from './server-health.js'
import {statusIsUp, UNCHECKED} from '../health/index.js'

/** unknown: live data could not be read, so health cannot be told; never reported as down. */
export type Verdict = 'healthy' | 'degraded' | 'down' | 'unknown'

/** Per backend: up, down, or unknown when the server's live data is missing. */
export type BackendState = 'up' | 'down' | 'unknown'

export interface ClientStatus {
  name: string
  context?: string
  tunnelIP: string
  /** The client Deployment in its provider: null when that cluster could not be asked. */
  ready: boolean | null
  /** Whether the server reaches it across its tunnel; null when the server's live data could not be read. */
  connected: boolean | null
  /** Since when it is connected (or not). */
  since?: string
  /** How long the server's last check across the tunnel took. */
  tunnelCheckMs?: number
  /** Bytes the server's proxy sent to this client, and received from it. */
  bytesSent?: number
  bytesReceived?: number
  certDaysLeft: number
  problem?: string
}

export interface BackendStatus {
  client: string
  state: BackendState
  /** HAProxy's own word (UP, DOWN, MAINT, no check, …), when known. */
  detail?: string
}

export interface ServiceStatus {
  name: string
  port: number
  internalPort: number
  target: string
  backends: BackendStatus[]
  up: number
  unknown: number
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
  const d = await cluster.read<Deployment>({apiVersion: 'apps/v1', kind: 'Deployment', name, namespace})
  if (!d) return {ready: false, replicas: 'missing'}
  return {ready: rolloutDone(d), replicas: `${d.status?.availableReplicas ?? 0}/${d.spec?.replicas ?? 1}`}
}

async function clientReady(home: Home, client: Registry['clients'][number]): Promise<{ready: boolean | null; problem?: string}> {
  if (!client.context) return {ready: null, problem: 'no context known (exported client)'}
  try {
    const provider = providerOf(home, client)
    return {ready: (await deploymentReady(provider.cluster, provider.namespace, names.clientDeployment)).ready}
  } catch (error) {
    if (error instanceof SvcgwError) return {ready: null, problem: error.message}
    throw error
  }
}

/** Reads live tunnel and backend state from the server pod, if it runs. */
async function liveServerData(home: Home): Promise<ServerHealth | string> {
  const pod = await runningPod(home.cluster, home.namespace, labelSelectorFor('server'))
  if (!pod) return 'the server pod is not running'
  try {
    return await readServerHealth(() => podHttpGet(home.cluster, home.namespace, pod.metadata.name, STATS_PORT, STATS_PATH))
  } catch (error) {
    if (error instanceof SvcgwError) return error.message
    throw error
  }
}

export function verdictOf(report: Omit<StatusReport, 'verdict' | 'message'>): {verdict: Verdict; message: string} {
  if (!report.server.ready) return {verdict: 'down', message: `the server is not ready (${report.server.replicas})`}
  const problems: string[] = []
  const unknowns: string[] = []
  if (report.server.liveData) unknowns.push(`live data unreadable: ${report.server.liveData}`)
  const disconnected = report.clients.filter((c) => c.connected === false).map((c) => c.name)
  if (report.clients.length > 0 && disconnected.length === report.clients.length) {
    return {verdict: 'down', message: `no client is connected (${disconnected.join(', ')})`}
  }
  if (disconnected.length > 0) problems.push(`not connected: ${disconnected.join(', ')}`)
  if (!report.server.liveData) {
    const unchecked = new Set([
      ...report.clients.filter((c) => c.connected === null).map((c) => c.name),
      ...report.services.flatMap((s) => s.backends.filter((b) => b.state === 'unknown').map((b) => b.client)),
    ])
    // Just added to the server's proxy (or not yet): "every backend up" would be a guess.
    if (unchecked.size > 0) unknowns.push(`not checked yet by the server's proxy: ${[...unchecked].join(', ')}`)
  }
  const notReady = report.clients.filter((c) => c.ready === false).map((c) => c.name)
  if (notReady.length > 0) problems.push(`client deployments not ready: ${notReady.join(', ')}`)
  const dead = report.services.filter((s) => s.backends.length > 0 && s.up === 0 && s.unknown === 0).map((s) => s.name)
  if (dead.length > 0) problems.push(`no backend up for: ${dead.join(', ')}`)
  const partlyDown = report.services.filter((s) => s.up > 0 && s.backends.some((b) => b.state === 'down')).map((s) => s.name)
  if (partlyDown.length > 0) problems.push(`backends down for: ${partlyDown.join(', ')}`)
  const expiring = [
    ...(report.certificates.caDaysLeft !== undefined && report.certificates.caDaysLeft < CERT_WARN_DAYS ? ['ca'] : []),
    ...(report.certificates.serverDaysLeft !== undefined && report.certificates.serverDaysLeft < CERT_WARN_DAYS ? ['server'] : []),
    ...report.clients.filter((c) => c.certDaysLeft < CERT_WARN_DAYS).map((c) => c.name),
  ]
  if (expiring.length > 0) problems.push(`certificates expiring within ${CERT_WARN_DAYS} days: ${expiring.join(', ')}`)
  if (problems.length > 0) return {verdict: 'degraded', message: [...problems, ...unknowns].join('; ')}
  if (unknowns.length > 0) return {verdict: 'unknown', message: unknowns.join('; ')}
  const n = report.clients.length
  return {verdict: 'healthy', message: `${n} client${n === 1 ? '' : 's'} connected, ${report.services.length} service(s) exposed, every backend up`}
}

const backendState = (status: string | undefined): BackendState =>
  status === undefined || status === UNCHECKED ? 'unknown' : statusIsUp(status) ? 'up' : 'down'

/** Everything an operator asks of the gateway, in one report with a verdict. */
export async function gatewayStatus(home: Home): Promise<StatusReport> {
  const {registry, settings} = await home.store.load()
  const [server, live, endpoint, readiness] = await Promise.all([
    deploymentReady(home.cluster, home.namespace, names.serverDeployment),
    liveServerData(home),
    discoverEndpoint(home.cluster, home.namespace, settings, true).catch(() => undefined),
    Promise.all(registry.clients.map((c) => clientReady(home, c))),
  ])
  const health = typeof live === 'string' ? undefined : live
  const clients: ClientStatus[] = registry.clients.map((c, i) => {
    const tunnel = health?.tunnels[c.name]
    return {
      name: c.name,
      ...(c.context ? {context: c.context} : {}),
      tunnelIP: c.tunnelIP,
      ready: readiness[i].ready,
      // A client missing from the stats is not in the config the server runs yet: unknown, not down.
      connected: tunnel ? tunnel.up : null,
      ...(tunnel?.forSeconds === undefined ? {} : {since: new Date(Date.now() - tunnel.forSeconds * 1000).toISOString()}),
      ...(tunnel?.checkMs === undefined ? {} : {tunnelCheckMs: tunnel.checkMs}),
      ...(tunnel ? {bytesSent: tunnel.bytesIn, bytesReceived: tunnel.bytesOut} : {}),
      certDaysLeft: daysLeft(new Date(c.notAfter)),
      ...(readiness[i].problem ? {problem: readiness[i].problem} : {}),
    }
  })
  const services: ServiceStatus[] = registry.services.map((s) => {
    const serving = registry.clients.filter((c) => servedBy(s, c.name))
    const backends = serving.map((c): BackendStatus => {
      const detail = health?.backends[s.name]?.[c.name]
      return {client: c.name, state: health ? backendState(detail) : 'unknown', ...(detail ? {detail} : {})}
    })
    return {
      name: s.name,
      port: s.port,
      internalPort: s.internalPort,
      target: `${s.clientService.name}.${s.clientService.namespace}:${s.clientService.port}`,
      backends,
      up: backends.filter((b) => b.state === 'up').length,
      unknown: backends.filter((b) => b.state === 'unknown').length,
    }
  })
  const partial = {
    server: {
      context: home.cluster.context,
      namespace: home.namespace,
      ready: server.ready,
      replicas: server.replicas,
      ...(endpoint ? {endpoint: formatEndpoint(endpoint.address, endpoint.port)} : {}),
      ...(typeof live === 'string' ? {liveData: live} : {}),
    },
    clients,
    services,
    // From the registry's record, so status needs no access to a Secret.
    certificates: {
      ...(registry.certificates?.ca ? {caDaysLeft: daysLeft(new Date(registry.certificates.ca.notAfter))} : {}),
      ...(registry.certificates?.server ? {serverDaysLeft: daysLeft(new Date(registry.certificates.server.notAfter))} : {}),
    },
    checkedAt: new Date().toISOString(),
  }
  return {...verdictOf(partial), ...partial}
}
