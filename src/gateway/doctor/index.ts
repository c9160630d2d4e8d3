import {notFoundError} from '../../errors.js'
import {type ExposedService, type RegisteredClient, servedBy as serves} from '../../registry/types.js'
import {Home} from '../home.js'
import {backendHop, certificateHop, clientPodHop, tunnelHop} from './client.js'
import {DoctorContext} from './context.js'
import {type ClientBranch, type DoctorReport, type Hop, type PathVerdict, problemLine, type ServicePath, unknown} from './model.js'
import {frontendProbeHop, clientProbeHop, type ProbeMode, type ProbeOptions, runProbes, servedBy} from './probe.js'
import {clientPolicyHop, dnsHop, endpointsHop, providerServiceHop} from './provider.js'
import {consumerServiceHop, frontendHop, serverPodHop, serverPolicyHop} from './server.js'
import {TUNNELS_BACKEND} from '../../dataplane/haproxy.js'

export type {DoctorReport, Hop, ServicePath} from './model.js'

export interface DoctorOptions {
  /** Exposed services to check; all when empty. */
  services: string[]
  /** Probe with an HTTP request instead of a bare TCP connection. */
  http: boolean
  /** Probe through the consumer Service from a short-lived pod instead of from the server pod's network. */
  probePod?: boolean
}

const broken = (h: Hop) => h.state === 'fail' && !h.symptom

/** Runs checks in order and stops after the first broken hop (a symptom does not stop the walk). */
export async function walk(checks: Array<() => Promise<Hop> | Hop>): Promise<Hop[]> {
  const hops: Hop[] = []
  for (const check of checks) {
    const hop = await check()
    hops.push(hop)
    if (broken(hop)) break
  }
  // Only symptoms failed: nothing further explains them, so the first is the broken hop.
  if (!hops.some(broken)) {
    const symptom = hops.find((h) => h.state === 'fail')
    if (symptom) {
      symptom.symptom = false
      symptom.fix ||= 'every hop after it checks out: see the logs of both proxies'
    }
  }
  return hops
}

async function walkClient(ctx: DoctorContext, service: ExposedService, client: RegisteredClient, probes: ReturnType<typeof runProbes>, mode: ProbeMode): Promise<ClientBranch> {
  const where = {client: client.name, ...(client.context ? {context: client.context} : {})}
  const provider = ctx.provider(client)
  if (!provider.ok) {
    const hops = await walk([() => backendHop(ctx, service, client), () => unknown('client-pod', 'client pod', provider.error.message, {missing: 'a context for this provider (an exported client)'})])
    return {...where, hops}
  }
  const p = provider.value
  const tunnelUp = async () => {
    const stats = await ctx.stats()
    return stats.ok && stats.value.some((r) => r.pxname === TUNNELS_BACKEND && r.svname === client.name && r.status.startsWith('UP'))
  }
  const hops = await walk([
    () => backendHop(ctx, service, client),
    () => clientPodHop(ctx, client, p),
    () => certificateHop(ctx, client, p),
    async () => clientPolicyHop(ctx, service, client, p, await tunnelUp()),
    () => tunnelHop(ctx, client, p),
    () => providerServiceHop(ctx, service, p),
    () => endpointsHop(ctx, service, p),
    () => dnsHop(ctx, service, p),
    async () => clientProbeHop(await probes, service, client, ctx, mode),
  ])
  return {...where, hops}
}

export function verdictOf(hops: Hop[]): PathVerdict {
  if (hops.some((h) => h.state === 'fail')) return 'broken'
  // A probe that went through proves the path, whatever could not be looked at on the way.
  const probes = hops.filter((h) => h.id === 'probe')
  if (probes.length > 0 && probes.every((h) => h.state === 'ok')) return 'ok'
  return hops.some((h) => h.state === 'unknown') ? 'unknown' : 'ok'
}

async function walkService(ctx: DoctorContext, service: ExposedService, clients: RegisteredClient[], probes: ReturnType<typeof runProbes>, options: ProbeOptions): Promise<ServicePath> {
  const base = {
    name: service.name,
    port: service.port,
    internalPort: service.internalPort,
    target: `${service.clientService.name}.${service.clientService.namespace}:${service.clientService.port}`,
  }
  const shared = await walk([() => consumerServiceHop(ctx, service), () => serverPodHop(ctx), () => serverPolicyHop(ctx, service), () => frontendHop(ctx, service)])
  const problems: string[] = []
  const stop = shared.find(broken)
  if (stop) {
    problems.push(`${service.name}: ${problemLine(stop)}`)
    return {...base, verdict: 'broken', hops: shared, clients: [], problems}
  }
  const branches = await Promise.all(clients.map((c) => walkClient(ctx, service, c, probes, options.mode)))
  for (const b of branches) {
    const first = b.hops.find(broken)
    if (first) problems.push(`${service.name} via ${b.client}: ${problemLine(first)}`)
  }
  let probe: Hop | undefined
  if (branches.length > 0) {
    const results = await probes
    const [before, after] = [await ctx.stats('before'), results.ok ? await ctx.stats('after') : undefined]
    const served = before.ok && after?.ok ? servedBy(before.value, after.value, service) : undefined
    probe = frontendProbeHop(results, service, ctx, options, served)
    if (broken(probe) && problems.length === 0) problems.push(`${service.name}: ${problemLine(probe)}`)
  } else {
    problems.push(`${service.name}: no client serves it: install one with ${'"kubectl svcgw client install --to CONTEXT"'}`)
  }
  const all = [...shared, ...branches.flatMap((b) => b.hops), ...(probe ? [probe] : [])]
  const verdict = problems.length > 0 ? 'broken' : verdictOf(all)
  return {...base, verdict, hops: shared, clients: branches, ...(probe ? {probe} : {}), problems}
}

/**
 * Walks the path of each exposed service from the consumer to the provider
 * and stops, per client, at the first broken hop, naming its cause and fix.
 * Every look is started early and shared between services, so the walk of a
 * healthy gateway costs about as much as its slowest look.
 */
export async function doctor(home: Home, options: DoctorOptions): Promise<DoctorReport> {
  const started = Date.now()
  const {registry, settings} = await home.store.load()
  const unknownNames = options.services.filter((n) => !registry.services.some((s) => s.name === n))
  if (unknownNames.length > 0) {
    throw notFoundError(`no exposed service ${unknownNames.map((n) => `"${n}"`).join(', ')} in namespace ${home.namespace} of context "${home.cluster.context}"`, 'see "kubectl svcgw list"')
  }
  const services = options.services.length > 0 ? registry.services.filter((s) => options.services.includes(s.name)) : registry.services
  const ctx = new DoctorContext(home, registry, settings)
  const servingClients = (s: ExposedService) => registry.clients.filter((c) => serves(s, c.name))
  const probeOptions: ProbeOptions = {mode: options.http ? 'http' : 'tcp', probePod: Boolean(options.probePod)}
  // Started now: the stats are read before the probes run, so their counters tell who served them.
  const probes = ctx.stats('before').then(() => runProbes(ctx, services, servingClients, probeOptions))
  const paths = await Promise.all(services.map((s) => walkService(ctx, s, servingClients(s), probes, probeOptions)))
  const brokenPaths = paths.filter((p) => p.verdict === 'broken')
  const unknownPaths = paths.filter((p) => p.verdict === 'unknown')
  const verdict: PathVerdict = brokenPaths.length > 0 ? 'broken' : unknownPaths.length > 0 ? 'unknown' : 'ok'
  const message =
    services.length === 0
      ? 'no service is exposed: nothing to check'
      : verdict === 'broken'
        ? brokenPaths.flatMap((p) => p.problems).join('; ')
        : verdict === 'unknown'
          ? `could not check every hop of ${unknownPaths.map((p) => p.name).join(', ')}: see the '?' lines for the permission each needs`
          : `every path works (${services.length} service${services.length === 1 ? '' : 's'}, ${registry.clients.length} client${registry.clients.length === 1 ? '' : 's'})`
  return {
    verdict,
    message,
    server: {context: home.cluster.context, namespace: home.namespace},
    services: paths,
    elapsedMs: Date.now() - started,
    checkedAt: new Date().toISOString(),
  }
}
