import type {ContainerStatus, EndpointSlice, Pod} from '../../kube/object.js'
import {FRONTEND_PREFIX, frontendOf} from '../../dataplane/haproxy.js'
import type {ExposedService} from '../../registry/types.js'
import {names} from '../../render/names.js'
import {selectorFor} from '../../render/objects.js'
import {serverConfig, serverWorkload} from '../../render/server.js'
import {SYNC_ANNOTATION} from '../live.js'
import {DoctorContext, missingIf, needs, why} from './context.js'
import {exposeCommand, kubectlIn, serverInstallCommand} from './fixes.js'
import {crashLines} from './logs.js'
import {fail, type Hop, ok, unknown} from './model.js'
import {describeConnection, evaluate} from './netpol.js'

/** Ready endpoints of a Service, over all its slices. */
export const readyEndpoints = (slices: EndpointSlice[]) =>
  slices.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).map((e) => ({...e, ports: s.ports ?? []})))

const podReadyNow = (pod: Pod) => (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')

/** 1. The consumer Service: there, routing its port to the server pod's internalPort, with a ready endpoint. */
export async function consumerServiceHop(ctx: DoctorContext, service: ExposedService): Promise<Hop> {
  const title = 'consumer Service'
  const {cluster, namespace, home} = ctx
  const found = await ctx.service(cluster, namespace, service.name)
  if (!found.ok) return unknown('consumer-service', title, why(found.error), missingIf(found.error, needs('get', 'services', namespace, cluster.context)))
  const svc = found.value
  const reExpose = exposeCommand(home, service, {}, ctx.registry.clients)
  if (!svc) return fail('consumer-service', title, `no Service ${namespace}/${service.name}`, 'the consumer Service is missing (deleted by hand?)', reExpose)
  const port = (svc.spec?.ports ?? []).find((p) => p.port === service.port)
  if (!port) {
    return fail('consumer-service', title, `Service ${namespace}/${service.name} has no port ${service.port}`, `its ports are ${(svc.spec?.ports ?? []).map((p) => p.port).join(', ') || 'none'}`, reExpose)
  }
  if (port.targetPort !== undefined && Number(port.targetPort) !== service.internalPort) {
    return fail('consumer-service', title, `port ${service.port} goes to ${port.targetPort}`, `the registry says internalPort ${service.internalPort}`, reExpose)
  }
  const want = selectorFor('server')
  const selector = svc.spec?.selector ?? {}
  if (Object.keys(want).some((k) => selector[k] !== want[k])) {
    return fail('consumer-service', title, `Service ${namespace}/${service.name} does not select the server pod`, `its selector is ${JSON.stringify(selector)}`, reExpose)
  }
  const where = `${svc.spec?.clusterIP ?? ''}:${service.port} → :${service.internalPort}`
  const slices = await ctx.endpointSlices(cluster, namespace, service.name)
  if (!slices.ok) return unknown('consumer-service', title, `${where}; endpoints unreadable`, missingIf(slices.error, needs('list', 'endpointslices.discovery.k8s.io', namespace, cluster.context)))
  const ready = readyEndpoints(slices.value)
  if (ready.length > 0) {
    const pods = ready.map((e) => e.targetRef?.name).filter(Boolean)
    return ok('consumer-service', title, `${namespace}/${service.name} ${where}, ${ready.length} ready endpoint${ready.length === 1 ? '' : 's'}${pods.length ? ` (${pods.join(', ')})` : ''}`)
  }
  // No ready endpoint because the server pod is not ready is the next hop's fault, not this one's.
  const pod = await ctx.serverPods()
  if (!pod.ok || pod.value.length === 0 || !pod.value.some(podReadyNow)) {
    return ok('consumer-service', title, `${namespace}/${service.name} ${where}; no ready endpoint while the server pod is not Ready (next hop)`)
  }
  return fail(
    'consumer-service',
    title,
    `${namespace}/${service.name} ${where} has no ready endpoint`,
    'the server pod is Ready but the Service lists no endpoint for it',
    kubectlIn(cluster.context, namespace, `get endpointslices -l kubernetes.io/service-name=${service.name} -o yaml`),
  )
}

/** A container that keeps failing: its name, restarts and why, when it is in the crash loop now. */
const crashing = (statuses: ContainerStatus[]): ContainerStatus | undefined =>
  statuses.find((c) => c.state?.waiting?.reason === 'CrashLoopBackOff' || (!c.ready && c.restartCount > 0 && c.lastState?.terminated !== undefined && !c.state?.running))

/** Which ConfigMaps the server pod mounts differ from what the registry renders (a hand edit, or a registry edited without a render). */
async function drifted(ctx: DoctorContext): Promise<string[]> {
  const rendered = [...serverWorkload(ctx.settings, ctx.namespace, ''), ...serverConfig(ctx.registry, ctx.settings, ctx.namespace)].filter((o) => o.kind === 'ConfigMap')
  const found = await Promise.all(rendered.map(async (o) => ({name: o.metadata.name, want: o.data, live: await ctx.configMap(ctx.cluster, ctx.namespace, o.metadata.name)})))
  // The API returns a ConfigMap's keys sorted; what is rendered keeps the registry's order.
  const canonical = (data: unknown) => JSON.stringify(Object.entries((data ?? {}) as Record<string, string>).sort(([a], [b]) => a.localeCompare(b)))
  return found.filter((f) => f.live.ok && f.live.value && canonical(f.live.value.data) !== canonical(f.want)).map((f) => f.name)
}

/** 2. The server pod: running, ready, no container crash-looping, and the proxy runs the current config. */
export async function serverPodHop(ctx: DoctorContext): Promise<Hop> {
  const title = 'server pod'
  const {cluster, namespace, home} = ctx
  const install = serverInstallCommand(home, ctx.settings)
  const [deployment, pods, drift] = await Promise.all([ctx.serverDeployment(), ctx.serverPods(), drifted(ctx)])
  if (!deployment.ok) return unknown('server-pod', title, why(deployment.error), missingIf(deployment.error, needs('get', 'deployments.apps', namespace, cluster.context)))
  if (!deployment.value) return fail('server-pod', title, `no Deployment ${namespace}/${names.serverDeployment}`, 'the server is not installed here (or was deleted)', install)
  if (deployment.value.spec?.replicas === 0) {
    return fail('server-pod', title, `deployment/${names.serverDeployment} is scaled to 0`, 'no server pod runs', kubectlIn(cluster.context, namespace, `scale deployment/${names.serverDeployment} --replicas 1`))
  }
  if (!pods.ok) return unknown('server-pod', title, why(pods.error), missingIf(pods.error, needs('list', 'pods', namespace, cluster.context)))
  const pod = pods.value[0]
  const describe = kubectlIn(cluster.context, namespace, `describe pod ${pod?.metadata.name ?? `-l app.kubernetes.io/component=server`}`)
  if (!pod) return fail('server-pod', title, 'no server pod', 'the Deployment has no pod', kubectlIn(cluster.context, namespace, `describe deployment ${names.serverDeployment}`))
  const podName = pod.metadata.name
  const statuses = pod.status?.containerStatuses ?? []
  const crash = crashing(statuses)
  const driftFix =
    drift.length > 0
      ? `${drift.join(' and ')} ${drift.length === 1 ? 'differs' : 'differ'} from what the registry renders (edited by hand?): ${install}${crashing(statuses) ? ` --no-wait, then ${kubectlIn(cluster.context, namespace, `delete pod ${podName}`)} (a crash-looping container otherwise waits out its back-off)` : ''}`
      : undefined
  if (crash) {
    const log = await ctx.logs(cluster, namespace, podName, crash.name, true)
    const said = log.ok ? crashLines(log.value).map((l) => `"${l}"`).join(', ') : `its log is unreadable (${needs('get', 'pods/log', namespace, cluster.context)})`
    return fail(
      'server-pod',
      title,
      `${podName}: container ${crash.name} is crash-looping (${crash.restartCount} restarts${crash.state?.waiting?.reason ? `, ${crash.state.waiting.reason}` : ''})`,
      `${crash.name} exits: ${said}`,
      driftFix ?? kubectlIn(cluster.context, namespace, `logs ${podName} -c ${crash.name} --previous`),
    )
  }
  if (pod.status?.phase !== 'Running') {
    const waiting = statuses.map((c) => c.state?.waiting?.reason).filter(Boolean).join(', ')
    return fail('server-pod', title, `${podName} is ${pod.status?.phase ?? 'unknown'}${waiting ? ` (${waiting})` : ''}`, 'the server pod does not run', describe)
  }
  if (!podReadyNow(pod)) {
    const notReady = statuses.filter((c) => !c.ready).map((c) => c.name)
    return fail('server-pod', title, `${podName} Running, not Ready (${notReady.join(', ') || 'readiness'})`, `container ${notReady.join(', ')} fails its readiness probe`, driftFix ?? kubectlIn(cluster.context, namespace, `logs ${podName} -c ${notReady[0] ?? 'openvpn'}`))
  }
  if (driftFix) return fail('server-pod', title, `${podName} Running, Ready`, `${drift.join(' and ')} ${drift.length === 1 ? 'differs' : 'differ'} from what the registry renders (edited by hand?)`, install)
  const restarts = statuses.reduce((n, c) => n + c.restartCount, 0)
  const [live, expected] = await Promise.all([ctx.serverConfigId(), ctx.expectedServerConfigId()])
  const base = `${podName} Running, Ready, ${restarts} restart${restarts === 1 ? '' : 's'}`
  if (!live.ok) return unknown('server-pod', title, `${base}; its proxy's config ID is unreadable (${live.error.message})`, missingIf(live.error, needs('create', 'pods/portforward', namespace, cluster.context)))
  if (!expected.ok || !expected.value) return ok('server-pod', title, `${base}; proxy config ${live.value}`)
  if (live.value !== expected.value) {
    return fail(
      'server-pod',
      title,
      `${base}; its proxy runs config ${live.value}, the registry renders ${expected.value}`,
      'the proxy has not loaded the current config (the kubelet has not refreshed the ConfigMap yet, or the new config was invalid and kept out)',
      `${kubectlIn(cluster.context, namespace, `annotate pod ${podName} ${SYNC_ANNOTATION}=${new Date().toISOString()} --overwrite`)} (then "${kubectlIn(cluster.context, namespace, `logs ${podName} -c proxy`)}" says whether it loaded)`,
    )
  }
  return ok('server-pod', title, `${base}; proxy runs the current config ${live.value}`)
}

/** Whether NetworkPolicies of the server namespace let consumers reach the service's internalPort. */
export async function serverPolicyHop(ctx: DoctorContext, service: ExposedService): Promise<Hop> {
  const title = 'network policy (server)'
  const {cluster, namespace} = ctx
  const policies = await ctx.networkPolicies(cluster, namespace)
  if (!policies.ok) return unknown('server-policy', title, why(policies.error), missingIf(policies.error, needs('list', 'networkpolicies.networking.k8s.io', namespace, cluster.context)))
  if (policies.value.length === 0) return ok('server-policy', title, `no NetworkPolicy in ${namespace}`)
  const pod = await ctx.serverPod()
  const connection = {
    direction: 'ingress' as const,
    namespace,
    podLabels: pod?.metadata.labels ?? selectorFor('server'),
    peer: {what: 'consumers', anyone: true},
    port: service.internalPort,
    protocol: 'TCP' as const,
  }
  const verdict = evaluate(policies.value, connection)
  if (verdict.verdict === 'denied') {
    return fail(
      'server-policy',
      title,
      `${verdict.policies.map((p) => `NetworkPolicy ${p}`).join(', ')} in ${namespace} select${verdict.policies.length === 1 ? 's' : ''} the server pod`,
      `no rule allows ${describeConnection(connection)}`,
      `add an ingress rule for port ${service.internalPort}/TCP: ${kubectlIn(cluster.context, namespace, `edit networkpolicy ${verdict.policies[0]}`)}`,
    )
  }
  return ok('server-policy', title, verdict.policies.length ? `allowed by ${verdict.policies.join(', ')}` : `no NetworkPolicy in ${namespace} selects the server pod`)
}

/** 3. The service's frontend in the server's proxy: listening on its internalPort. */
export async function frontendHop(ctx: DoctorContext, service: ExposedService): Promise<Hop> {
  const title = 'frontend'
  const stats = await ctx.stats()
  if (!stats.ok) return unknown('frontend', title, `HAProxy's stats are unreadable (${stats.error.message})`, missingIf(stats.error, needs('create', 'pods/portforward', ctx.namespace, ctx.cluster.context)))
  const row = stats.value.find((r) => r.pxname === frontendOf(service) && r.svname === 'FRONTEND')
  if (!row) {
    const running = stats.value.filter((r) => r.pxname.startsWith(FRONTEND_PREFIX) && r.svname === 'FRONTEND').map((r) => r.pxname)
    return fail('frontend', title, `no frontend ${frontendOf(service)} in the running proxy (it has ${running.join(', ') || 'none'})`, 'the proxy runs a config without this service', 'see the server pod hop: the config it runs is not the current one')
  }
  if (row.status !== 'OPEN') return fail('frontend', title, `${frontendOf(service)} is ${row.status}`, 'the frontend does not accept connections', kubectlIn(ctx.cluster.context, ctx.namespace, 'logs -l app.kubernetes.io/component=server -c proxy'))
  return ok('frontend', title, `${frontendOf(service)} listening on :${service.internalPort} (${row.stot} connections so far)`)
}
