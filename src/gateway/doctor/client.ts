import type {ContainerStatus, Pod} from '../../kube/object.js'
import {backendOf, TUNNELS_BACKEND} from '../../dataplane/haproxy.js'
import type {HaproxyStatRow} from '../../health/index.js'
import {inspectCertificate, isIssuedBy} from '../../pki/inspect.js'
import {formatEndpoint} from '../../registry/validate.js'
import type {ExposedService, RegisteredClient} from '../../registry/types.js'
import {names} from '../../render/names.js'
import {dirs} from '../../dataplane/layout.js'
import {SYNC_ANNOTATION} from '../live.js'
import type {Provider} from '../providers.js'
import {DoctorContext, missingIf, needs, why} from './context.js'
import {clientInstallCommand, kubectlIn, rotateCommand} from './fixes.js'
import {type ConnectionError, crashLines, dialedAddress, lastConnectionError, saysConnected} from './logs.js'
import {fail, type Hop, ok, unknown} from './model.js'

const ago = (seconds: number | undefined) => (seconds === undefined ? '' : seconds < 120 ? `${seconds}s` : seconds < 7200 ? `${Math.round(seconds / 60)}m` : `${Math.round(seconds / 3600)}h`)

/** HAProxy's word on its last check of a server: "L7STS/503 HTTP status check returned code 503, 4s ago". */
export function checkSummary(row: HaproxyStatRow): string {
  const status = [row.checkStatus, row.check_code].filter((v) => v !== undefined && v !== '').join('/')
  const desc = typeof row.last_chk === 'string' && row.last_chk ? row.last_chk : typeof row.check_desc === 'string' ? row.check_desc : ''
  return [status, desc].filter(Boolean).join(' ')
}

const isRevoked = (ctx: DoctorContext, serial: string) => ctx.registry.revoked.some((r) => r.serial === serial)

/** 3b. The server's view of this client for this service: the backend server and its last check. A DOWN is a symptom. */
export async function backendHop(ctx: DoctorContext, service: ExposedService, client: RegisteredClient): Promise<Hop> {
  const title = 'backend'
  const stats = await ctx.stats()
  if (!stats.ok) return unknown('backend', title, `HAProxy's stats are unreadable (${stats.error.message})`, missingIf(stats.error, needs('create', 'pods/portforward', ctx.namespace, ctx.cluster.context)))
  const row = stats.value.find((r) => r.pxname === backendOf(service) && r.svname === client.name)
  if (!row) {
    if (isRevoked(ctx, client.serial)) {
      return fail('backend', title, `${client.name} is not in ${backendOf(service)}: its certificate is revoked`, 'the server routes nothing to a revoked client', '', {symptom: true})
    }
    return fail('backend', title, `${client.name} is not in ${backendOf(service)} of the running proxy`, 'the proxy runs a config without this client', 'see the server pod hop', {symptom: true})
  }
  const state = row.status.split(' ')[0]
  const check = checkSummary(row)
  const latency = typeof row.check_duration === 'number' ? row.check_duration : undefined
  if (state === 'UP') return ok('backend', title, `${backendOf(service)}/${client.name} UP${check ? ` (${check})` : ''}`, latency === undefined ? {} : {latencyMs: latency})
  return fail('backend', title, `${backendOf(service)}/${client.name} ${row.status}${row.lastchg !== undefined ? ` for ${ago(row.lastchg)}` : ''}`, `the server's check fails: ${check || 'no check result'}`, '', {symptom: true})
}

const crashingContainer = (statuses: ContainerStatus[]) =>
  statuses.find((c) => c.state?.waiting?.reason === 'CrashLoopBackOff' || (!c.ready && c.restartCount > 0 && c.lastState?.terminated !== undefined && !c.state?.running))

/** 4a. The client pod in its provider: there and running. Ready means connected, so not Ready is the tunnel's story. */
export async function clientPodHop(ctx: DoctorContext, client: RegisteredClient, provider: Provider): Promise<Hop> {
  const title = 'client pod'
  const {cluster, namespace} = provider
  const where = `${cluster.context}/${namespace}`
  const [deployment, pods] = await Promise.all([ctx.clientDeployment(provider), ctx.clientPods(provider)])
  if (!deployment.ok) return unknown('client-pod', title, why(deployment.error), missingIf(deployment.error, needs('get', 'deployments.apps', namespace, cluster.context)))
  if (!deployment.value) return fail('client-pod', title, `no Deployment ${names.clientDeployment} in ${where}`, `client ${client.name} is not installed there (or was deleted)`, clientInstallCommand(ctx.home, client))
  if (deployment.value.spec?.replicas === 0) {
    return fail('client-pod', title, `deployment/${names.clientDeployment} in ${where} is scaled to 0`, 'no client pod runs, so nothing dials the server', kubectlIn(cluster.context, namespace, `scale deployment/${names.clientDeployment} --replicas 1`))
  }
  if (!pods.ok) return unknown('client-pod', title, why(pods.error), missingIf(pods.error, needs('list', 'pods', namespace, cluster.context)))
  const pod: Pod | undefined = pods.value[0]
  if (!pod) return fail('client-pod', title, `no client pod in ${where}`, 'the Deployment has no pod', kubectlIn(cluster.context, namespace, `describe deployment ${names.clientDeployment}`))
  const statuses = pod.status?.containerStatuses ?? []
  const crash = crashingContainer(statuses)
  if (crash) {
    const log = await ctx.logs(cluster, namespace, pod.metadata.name, crash.name, true)
    const said = log.ok ? crashLines(log.value).map((l) => `"${l}"`).join(', ') : `its log is unreadable (${needs('get', 'pods/log', namespace, cluster.context)})`
    return fail(
      'client-pod',
      title,
      `${pod.metadata.name}: container ${crash.name} is crash-looping (${crash.restartCount} restarts)`,
      `${crash.name} exits: ${said}`,
      kubectlIn(cluster.context, namespace, `logs ${pod.metadata.name} -c ${crash.name} --previous`),
    )
  }
  if (pod.status?.phase !== 'Running') {
    const waiting = statuses.map((c) => c.state?.waiting?.reason).filter(Boolean).join(', ')
    return fail('client-pod', title, `${pod.metadata.name} in ${where} is ${pod.status?.phase ?? 'unknown'}${waiting ? ` (${waiting})` : ''}`, 'the client pod does not run', kubectlIn(cluster.context, namespace, `describe pod ${pod.metadata.name}`))
  }
  const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  const base = `${pod.metadata.name} in ${where} Running, ${ready ? 'Ready (connected)' : 'not Ready (Ready means connected: see the tunnel)'}`
  // Its proxy runs the config rendered from the registry now (a retarget or a new service reaches it live).
  const [live, expected] = await Promise.all([ctx.clientConfigId(provider, pod.metadata.name), ctx.expectedClientConfigId(provider)])
  if (!live.ok) return unknown('client-pod', title, `${base}; its proxy's config ID is unreadable (${why(live.error)})`, missingIf(live.error, needs('create', 'pods/portforward', namespace, cluster.context)))
  if (expected.ok && expected.value && live.value !== expected.value) {
    return fail(
      'client-pod',
      title,
      `${base}; its proxy runs config ${live.value}, the registry renders ${expected.value}`,
      'the client has not loaded the current config (the ConfigMap was not updated, the kubelet has not refreshed it yet, or the new config was invalid and kept out)',
      `${clientInstallCommand(ctx.home, client)} (pushes the current config), then "${kubectlIn(cluster.context, namespace, `logs ${pod.metadata.name} -c proxy`)}" says whether it loaded`,
    )
  }
  return ok('client-pod', title, `${base}; proxy runs the current config`)
}

/** 4b. The certificate the provider holds: not expired, not revoked, signed by the gateway's current CA, the one registered. */
export async function certificateHop(ctx: DoctorContext, client: RegisteredClient, provider: Provider): Promise<Hop> {
  const title = 'certificate'
  const rotate = rotateCommand(ctx.home, client)
  if (isRevoked(ctx, client.serial)) {
    const when = ctx.registry.revoked.find((r) => r.serial === client.serial)?.revokedAt
    return fail('certificate', title, `serial ${client.serial} of ${client.name}`, `it is revoked${when ? ` (since ${when})` : ''}: the server refuses it`, rotate)
  }
  const [held, ca] = await Promise.all([ctx.clientKeyPair(provider), ctx.caCertificate()])
  const recordedEnd = new Date(client.notAfter)
  if (!held.ok || !held.value) {
    if (recordedEnd.getTime() < Date.now()) return fail('certificate', title, `serial ${client.serial} (as registered)`, `it expired at ${client.notAfter}`, rotate)
    if (!held.ok) {
      return unknown(
        'certificate',
        title,
        `serial ${client.serial} registered, valid until ${client.notAfter}; the one the provider holds is unreadable (${why(held.error)})`,
        missingIf(held.error, needs('get', 'secrets', provider.namespace, provider.cluster.context)),
      )
    }
    return fail('certificate', title, `no Secret ${names.clientCertificates} in ${provider.cluster.context}/${provider.namespace}`, 'the client has no certificate to dial with', clientInstallCommand(ctx.home, client))
  }
  const info = inspectCertificate(held.value.cert)
  const now = new Date()
  const serial = `serial ${info.serial}`
  if (info.notAfter < now) return fail('certificate', title, `${serial} held by ${provider.cluster.context}/${provider.namespace}`, `it expired at ${info.notAfter.toISOString()}`, rotate)
  if (info.notBefore > now) return fail('certificate', title, `${serial} held by ${provider.cluster.context}/${provider.namespace}`, `it is not valid before ${info.notBefore.toISOString()} (clock skew?)`, rotate)
  if (isRevoked(ctx, info.serial)) return fail('certificate', title, `${serial} held by ${provider.cluster.context}/${provider.namespace}`, 'it is revoked: the server refuses it', rotate)
  if (!ca.ok) {
    return unknown('certificate', title, `${serial}, valid until ${info.notAfter.toISOString().slice(0, 10)}; the CA is unreadable`, missingIf(ca.error, needs('get', 'secrets', ctx.namespace, ctx.cluster.context)))
  }
  if (ca.value && !isIssuedBy(held.value.cert, ca.value)) {
    return fail('certificate', title, `${serial} held by ${provider.cluster.context}/${provider.namespace}, issued by "${info.issuerCommonName}"`, "it is not signed by the gateway's current CA: the server refuses it", rotate)
  }
  const superseded = (client.superseded ?? []).some((s) => s.serial === info.serial)
  if (info.serial !== client.serial && !superseded) {
    return fail('certificate', title, `${serial} held by ${provider.cluster.context}/${provider.namespace}`, `the registry records serial ${client.serial} for ${client.name}`, rotate)
  }
  const days = Math.floor((info.notAfter.getTime() - now.getTime()) / 86_400_000)
  return ok('certificate', title, `${serial} valid until ${info.notAfter.toISOString().slice(0, 10)} (${days} days), signed by the gateway's CA${superseded ? ', superseded by a newer one' : ''}`)
}

/** What to do about a connection error, given where the client dials and where the server is published now. */
function tunnelFix(ctx: DoctorContext, client: RegisteredClient, error: ConnectionError | undefined, dialed: string | undefined, published: string | undefined): {cause: string; fix: string} {
  const reinstall = clientInstallCommand(ctx.home, client)
  const said = error ? `its log says "${error.line}"` : 'its log names no error'
  const moved = dialed && published && dialed !== published
  switch (error?.kind) {
    case 'refused':
    case 'timeout':
    case 'unreachable':
    case 'resolve':
      if (moved) return {cause: `it dials ${dialed}, but the server's Service publishes ${published} now; ${said}`, fix: `${reinstall} (dials the published address), or pass --address with one the provider can reach`}
      return {
        cause: `${said}; it dials ${dialed ?? 'the recorded address'}${published ? ', which is what the server publishes' : ''}`,
        fix: `make ${dialed ?? 'the server address'} reachable from ${client.context ?? 'the provider'} (firewall, load balancer, NodePort), or ${reinstall} --address ADDRESS`,
      }
    case 'auth-failed':
      return {cause: `the server refuses it (AUTH_FAILED): it is not in the server's client-config-dir, or its certificate is revoked; ${said}`, fix: reinstall}
    case 'tls-crypt':
      return {cause: `its tls-crypt key is not the server's; ${said}`, fix: reinstall}
    case 'server-certificate':
      return {cause: `it does not accept the server's certificate; ${said}`, fix: reinstall}
    case 'tls':
      return {cause: `the TLS handshake fails; ${said}`, fix: reinstall}
    case 'reset':
      return {cause: `the server closes the connection during the handshake: it refuses the client's certificate or tls-crypt key; ${said}`, fix: reinstall}
    default:
      if (moved) return {cause: `it dials ${dialed}, but the server's Service publishes ${published} now; ${said}`, fix: reinstall}
      return {cause: `not connected; ${said}`, fix: kubectlIn(client.context ?? 'CONTEXT', client.namespace, `logs deployment/${names.clientDeployment} -c openvpn`)}
  }
}

/** 4c. The tunnel: the server's check across it answers; when not, the client's last connection error and where it dials. */
export async function tunnelHop(ctx: DoctorContext, client: RegisteredClient, provider: Provider): Promise<Hop> {
  const title = 'tunnel'
  const stats = await ctx.stats()
  if (!stats.ok) return unknown('tunnel', title, `HAProxy's stats are unreadable (${stats.error.message})`, missingIf(stats.error, needs('create', 'pods/portforward', ctx.namespace, ctx.cluster.context)))
  const row = stats.value.find((r) => r.pxname === TUNNELS_BACKEND && r.svname === client.name)
  const latency = row && typeof row.check_duration === 'number' ? row.check_duration : undefined
  if (row && row.status.split(' ')[0] === 'UP') {
    return ok('tunnel', title, `${client.name} connected as ${client.tunnelIP} (the check across it UP for ${ago(row.lastchg)})`, latency === undefined ? {} : {latencyMs: latency})
  }
  const sameCluster = provider.cluster.server === ctx.cluster.server
  const [pods, published] = await Promise.all([ctx.clientPods(provider), ctx.publishedEndpoint(sameCluster)])
  const pod = pods.ok ? pods.value[0] : undefined
  const log = pod ? await ctx.logs(provider.cluster, provider.namespace, pod.metadata.name, 'openvpn') : undefined
  const error = log?.ok ? lastConnectionError(log.value) : undefined
  const dialed = (log?.ok ? dialedAddress(log.value) : undefined) ?? error?.address ?? client.endpoint
  const now = published.ok && published.value ? formatEndpoint(published.value.address, published.value.port) : undefined
  let {cause, fix} =
    log?.ok && saysConnected(log.value)
      ? {cause: 'the client says it is connected, yet the server\'s check across the tunnel fails (it may have reconnected a moment ago: run doctor again)', fix: kubectlIn(ctx.cluster.context, ctx.namespace, 'logs deployment/svcgw-server -c openvpn')}
      : tunnelFix(ctx, client, error, dialed, now)
  if (error?.kind === 'auth-failed') {
    // Refused: is the client in the client-config-dir the server pod sees (the kubelet refreshes it at its pace)?
    const serverPod = await ctx.serverPod()
    const ccd = serverPod ? await ctx.exec(ctx.cluster, ctx.namespace, serverPod.metadata.name, 'openvpn', `ls ${dirs.ccd}`, 'ls-ccd') : undefined
    if (ccd?.ok && serverPod && !ccd.value.split(/\s+/).includes(client.name)) {
      cause = `the server refuses it (AUTH_FAILED): the server pod's client-config-dir has no entry for ${client.name} yet (svcgw-server-ccd has not reached the pod)`
      fix = kubectlIn(ctx.cluster.context, ctx.namespace, `annotate pod ${serverPod.metadata.name} ${SYNC_ANNOTATION}=${new Date().toISOString()} --overwrite`)
    }
  }
  const detail = `${client.name} (${client.tunnelIP}) not connected${row?.lastchg !== undefined ? ` for ${ago(row.lastchg)}` : ''}${row ? `; the server's check: ${checkSummary(row)}` : ''}`
  if (log && !log.ok) return fail('tunnel', title, detail, `${cause} (its log is unreadable: ${needs('get', 'pods/log', provider.namespace, provider.cluster.context)})`, fix)
  return fail('tunnel', title, detail, cause, fix)
}

