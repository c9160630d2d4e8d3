import {randomBytes} from 'node:crypto'

import {SvcgwError} from '../../errors.js'
import type {Pod} from '../../kube/object.js'
import {LABEL_COMPONENT, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY} from '../../render/objects.js'
import {backendOf} from '../../dataplane/haproxy.js'
import type {HaproxyStatRow} from '../../health/index.js'
import type {ExposedService, RegisteredClient} from '../../registry/types.js'
import {DoctorContext, type Got, missingIf, needs, why} from './context.js'
import {kubectlIn} from './fixes.js'
import {fail, type Hop, ok, unknown} from './model.js'

/**
 * End-to-end probes, run inside the server pod's proxy container (its
 * network: what a consumer's connection reaches after the Service), all in
 * one exec: per service one through the server's frontend
 * (127.0.0.1:internalPort, so through HAProxy's choice of client) and one per
 * client straight through its tunnel (tunnelIP:internalPort, so that client
 * for sure). TCP: connect, then wait up to HOLD for the far end; a
 * connection the gateway closes at once reached no backend. HTTP (--http): a
 * GET / and its status line. Times come from `date +%s%N` in the pod.
 */

export type ProbeMode = 'tcp' | 'http'

export interface ProbeTarget {
  id: string
  host: string
  port: number
  /** Host header for --http. */
  hostHeader: string
}

export interface ProbeResult {
  id: string
  ok: boolean
  /** Connect (TCP) or whole request (HTTP), in ms. */
  latencyMs?: number
  /** What happened, in a few words. */
  detail: string
}

/** A TCP probe counts as through when the far end keeps it open this long (or speaks). */
export const HOLD_SECONDS = 1

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The script the exec runs: every probe at once, one result line each. */
export function probeScript(targets: ProbeTarget[], mode: ProbeMode): string {
  const tcp = `c=$(date +%s%N); if read -t ${HOLD_SECONDS} -n 1 x; then r=0; else r=$?; fi; echo "@c=$c r=$r e=$(date +%s%N)" >&2`
  const one = (t: ProbeTarget) =>
    mode === 'http'
      ? `( t0=$(date +%s%N); out=$(printf 'GET / HTTP/1.0\\r\\nHost: %s\\r\\nUser-Agent: kubectl-svcgw-doctor\\r\\n\\r\\n' ${shellQuote(t.hostHeader)} | timeout 4 nc -w 2 ${t.host} ${t.port} 2>&1 | head -1 | tr -d '\\r'); echo "@@${t.id} http t0=$t0 e=$(date +%s%N) $out" ) &`
      : `( t0=$(date +%s%N); out=$(timeout 4 nc -w 2 ${t.host} ${t.port} -e busybox sh -c ${shellQuote(tcp)} 2>&1 | tail -1); echo "@@${t.id} tcp t0=$t0 $out" ) &`
  return [...targets.map(one), 'wait'].join('\n')
}

const ms = (from: string | undefined, to: string | undefined) => (from && to ? (Number(BigInt(to) - BigInt(from)) / 1e6) : undefined)

/** Reads the result lines back. */
export function parseProbes(output: string): Map<string, ProbeResult> {
  const results = new Map<string, ProbeResult>()
  for (const line of output.split('\n')) {
    const m = /^@@(\S+) (tcp|http) t0=(\d+) (.*)$/.exec(line)
    if (!m) continue
    const [, id, mode, t0, rest] = m
    if (mode === 'http') {
      const e = /^e=(\d+) ?(.*)$/.exec(rest)
      const status = e?.[2] ?? ''
      const answered = /^HTTP\/\d(\.\d)? \d{3}/.test(status)
      results.set(id, {id, ok: answered, latencyMs: ms(t0, e?.[1]), detail: answered ? status : status ? `no HTTP answer: ${status}` : 'the connection closed without an answer'})
      continue
    }
    const held = /@c=(\d+) r=(\d+) e=(\d+)/.exec(rest)
    if (!held) {
      results.set(id, {id, ok: false, detail: rest.replace(/^nc: /, '').trim() || 'no connection'})
      continue
    }
    const [, c, r, e] = held
    const connect = ms(t0, c)
    const open = ms(c, e) ?? 0
    if (r === '0') results.set(id, {id, ok: true, latencyMs: connect, detail: 'connected; the service spoke first'})
    else if (open >= HOLD_SECONDS * 1000 - 50) results.set(id, {id, ok: true, latencyMs: connect, detail: `connected, held open ${HOLD_SECONDS} s`})
    else results.set(id, {id, ok: false, latencyMs: connect, detail: `accepted, then closed by the gateway after ${Math.round(open)} ms: no backend took it`})
  }
  return results
}

export const frontendProbeId = (service: ExposedService) => `fe.${service.name}`
export const clientProbeId = (service: ExposedService, client: RegisteredClient) => `cl.${service.name}.${client.name}`

/** Where the probes through the frontend start: the server pod's own network, or a short-lived pod of the consumer cluster. */
export interface ProbeOptions {
  mode: ProbeMode
  /** Probe `NAME.NAMESPACE.svc:port` from a pod of its own (the consumer's path through the Service and kube-proxy). */
  probePod: boolean
}

const POD_START_MS = 30_000

/**
 * A pod in the gateway namespace to probe from, like a consumer: the proxy
 * image (busybox nc), no token, non-root, gone after the run (and stopped by
 * its own deadline if doctor dies first).
 */
async function withProbePod<T>(ctx: DoctorContext, run: (pod: string) => Promise<T>): Promise<T> {
  const name = `svcgw-doctor-${randomBytes(3).toString('hex')}`
  const ref = {apiVersion: 'v1', kind: 'Pod', name, namespace: ctx.namespace}
  await ctx.cluster.create({
    ...ref,
    metadata: {name, namespace: ctx.namespace, labels: {[LABEL_NAME]: 'svcgw', [LABEL_COMPONENT]: 'doctor', [LABEL_MANAGED_BY]: MANAGED_BY}},
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: 300,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {runAsNonRoot: true, runAsUser: 99},
      containers: [{name: 'probe', image: ctx.settings.images.haproxy, command: ['sleep', '300'], securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: ['ALL']}}}],
    },
  })
  try {
    const deadline = Date.now() + POD_START_MS
    for (;;) {
      const pod = await ctx.cluster.read<Pod>(ref)
      if (pod?.status?.phase === 'Running') break
      if (Date.now() > deadline) throw new SvcgwError('timeout', `the probe pod ${name} did not start within ${POD_START_MS / 1000} s`, `see "kubectl -n ${ctx.namespace} describe pod ${name}"`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    return await run(name)
  } finally {
    await ctx.cluster.remove(ref).catch(() => undefined)
  }
}

/**
 * Every probe of this run: per service one through the frontend and one
 * straight through each client's tunnel, in one exec in the server pod's
 * proxy container; with --probe-pod the frontend's go through the consumer
 * Service from a pod of their own, at the same time.
 */
export function runProbes(ctx: DoctorContext, services: ExposedService[], clients: (s: ExposedService) => RegisteredClient[], options: ProbeOptions): Promise<Got<Map<string, ProbeResult>>> {
  return ctx.once('probes', async () => {
    const pod = await ctx.serverPod()
    if (!pod) throw new SvcgwError('notFound', 'no server pod runs to probe from')
    const frontends = services.map((s) =>
      options.probePod
        ? {id: frontendProbeId(s), host: `${s.name}.${ctx.namespace}.svc`, port: s.port, hostHeader: `${s.name}.${ctx.namespace}`}
        : {id: frontendProbeId(s), host: '127.0.0.1', port: s.internalPort, hostHeader: `${s.name}.${ctx.namespace}`},
    )
    const tunnels = services.flatMap((s) =>
      clients(s).map((c) => ({id: clientProbeId(s, c), host: c.tunnelIP, port: s.internalPort, hostHeader: `${s.clientService.name}.${s.clientService.namespace}`})),
    )
    const inServer = (targets: ProbeTarget[], key: string) => ctx.exec(ctx.cluster, ctx.namespace, pod.metadata.name, 'proxy', probeScript(targets, options.mode), key)
    const outs = options.probePod
      ? await Promise.all([inServer(tunnels, `probes-${options.mode}`), withProbePod(ctx, (name) => ctx.exec(ctx.cluster, ctx.namespace, name, 'probe', probeScript(frontends, options.mode), `probe-pod-${options.mode}`))])
      : [await inServer([...frontends, ...tunnels], `probes-${options.mode}`)]
    const results = new Map<string, ProbeResult>()
    for (const out of outs) {
      if (!out.ok) throw out.error
      for (const [id, r] of parseProbes(out.value)) results.set(id, r)
    }
    return results
  })
}

/** Which clients' counters moved between two reads of the stats: who took the probe's connection. */
export function servedBy(before: HaproxyStatRow[], after: HaproxyStatRow[], service: ExposedService): string[] {
  const total = (rows: HaproxyStatRow[], client: string) => rows.find((r) => r.pxname === backendOf(service) && r.svname === client)?.stot ?? 0
  return after
    .filter((r) => r.pxname === backendOf(service) && r.svname !== 'BACKEND' && r.svname !== 'FRONTEND')
    .filter((r) => (r.stot ?? 0) > total(before, r.svname))
    .map((r) => r.svname)
}

const fmt = (latency: number | undefined) => (latency === undefined ? '' : ` in ${latency < 10 ? latency.toFixed(1) : Math.round(latency)} ms`)

/** The probe straight through one client's tunnel. */
export function clientProbeHop(probes: Got<Map<string, ProbeResult>>, service: ExposedService, client: RegisteredClient, ctx: DoctorContext, mode: ProbeMode): Hop {
  const title = 'probe'
  if (!probes.ok) return unknown('probe', title, why(probes.error), missingIf(probes.error, needs('create', 'pods/exec', ctx.namespace, ctx.cluster.context)))
  const r = probes.value.get(clientProbeId(service, client))
  const to = `${client.tunnelIP}:${service.internalPort}`
  if (!r) return unknown('probe', title, `no result for ${to}`)
  const what = mode === 'http' ? `GET / via ${client.name} (${to})` : `TCP via ${client.name} (${to})`
  if (r.ok) return ok('probe', title, `${what}: ${r.detail}${fmt(r.latencyMs)}`, r.latencyMs === undefined ? {} : {latencyMs: r.latencyMs})
  return fail('probe', title, `${what}: ${r.detail}`, 'every hop above looks right, yet the connection fails', kubectlIn(client.context ?? 'CONTEXT', client.namespace, 'logs deployment/svcgw-client -c proxy'))
}

/** The probe through the server's frontend, and which client served it. */
export function frontendProbeHop(probes: Got<Map<string, ProbeResult>>, service: ExposedService, ctx: DoctorContext, options: ProbeOptions, served: string[] | undefined): Hop {
  const title = 'end to end'
  const need = options.probePod ? needs('create and delete', 'pods, create pods/exec', ctx.namespace, ctx.cluster.context) : needs('create', 'pods/exec', ctx.namespace, ctx.cluster.context)
  if (!probes.ok) return unknown('probe', title, why(probes.error), missingIf(probes.error, need))
  const r = probes.value.get(frontendProbeId(service))
  if (!r) return unknown('probe', title, 'no result')
  const through = options.probePod ? `${service.name}.${ctx.namespace}.svc:${service.port} from a probe pod` : `${service.name}:${service.port}`
  const what = options.mode === 'http' ? `GET / through ${through}` : `TCP through ${through}`
  const by = served === undefined ? '' : served.length === 1 ? `, served by ${served[0]}` : served.length > 1 ? `, served by one of ${served.join(', ')} (other traffic at the same time)` : ''
  if (r.ok) return ok('probe', title, `${what}: ${r.detail}${fmt(r.latencyMs)}${by}`, r.latencyMs === undefined ? {} : {latencyMs: r.latencyMs})
  return fail('probe', title, `${what}: ${r.detail}${by}`, 'the connection through the gateway fails', kubectlIn(ctx.cluster.context, ctx.namespace, 'logs deployment/svcgw-server -c proxy'))
}
