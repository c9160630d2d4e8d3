import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {median} from '../cli/startup.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface Stats {
  reads: number
  writes: number
  bytesSent: number
  written: string[]
}

export interface CommandFigures {
  exposeMs: number
  exposeWrites: number
  exposeKiB: number
  unexposeMs: number
  listMs: number
  statusMs: number
  reinstallMs: number
  /** The batch that grew the registry to N, if any: its size and time. */
  batch?: {services: number; ms: number}
  registryBytes: number
  serverProxyBytes: number
}

export class Plugin {
  constructor(private readonly kubeconfig: string) {}

  /** Runs the built plugin; returns its wall time and the request stats it printed (SVCGW_STATS=json). */
  run(args: string[], allowed = [0]): {ms: number; stats?: Stats; stdout: string} {
    const started = process.hrtime.bigint()
    const r = spawnSync(process.execPath, [BIN, ...args], {env: {...process.env, KUBECONFIG: this.kubeconfig, NO_COLOR: '1', SVCGW_STATS: 'json'}, encoding: 'utf8', maxBuffer: 64 << 20})
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    if (!allowed.includes(r.status ?? -1)) throw new Error(`kubectl svcgw ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`)
    const line = r.stderr.split('\n').find((l) => l.startsWith('SVCGW_STATS '))
    return {ms, stdout: r.stdout, ...(line ? {stats: JSON.parse(line.slice('SVCGW_STATS '.length)) as Stats} : {})}
  }

  /** Runs the built plugin without waiting for it (for steps that are not timed); rejects on a non-zero exit. */
  runInBackground(args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, KUBECONFIG: this.kubeconfig, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'pipe']})
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('error', reject)
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kubectl svcgw ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`))))
    })
  }

  kubectl(args: string[]): string {
    const r = spawnSync('kubectl', ['--kubeconfig', this.kubeconfig, ...args], {encoding: 'utf8', maxBuffer: 64 << 20})
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
}

const valuesFile = (from: number, to: number, namespace: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'svcgw-scale-values-')), 'values.yaml')
  const lines = ['services:']
  for (let i = from; i < to; i++) lines.push(`  - {name: svc-${i}, port: 80, clientService: {name: web, namespace: ${namespace}, port: 80}}`)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

const dataBytes = (plugin: Plugin, ns: string, name: string): number => {
  const cm = JSON.parse(plugin.kubectl(['--context', 'ctx-a', '-n', ns, 'get', 'configmap', name, '-o', 'json'])) as {data?: Record<string, string>}
  return Object.values(cm.data ?? {}).reduce((sum, v) => sum + Buffer.byteLength(v), 0)
}

/**
 * One gateway with P clients (namespaces of cluster b serving one
 * Service), grown to each N in turn by `expose -f`; at each N the cost of
 * the everyday commands, medians of `rounds` runs.
 */
export interface ProviderLevel {
  byN: Map<number, CommandFigures>
  /** `unexpose --all` of the largest N: one registry update and one apply round. */
  unexposeAllMs: number
}

/** Deletes the gateway with P clients and its provider namespaces (not waiting). */
export const removeGateway = (plugin: Plugin, providers: number): void => removeNamespaces(plugin, levelGateway(providers))

/**
 * With `keep`, the gateway stays (emptied by the last `unexpose --all`) for
 * exposeInTurns (levelGateway names it); the caller removes it.
 */
export async function controlPlaneFigures(plugin: Plugin, providers: number, sizes: number[], rounds: number, log: (line: string) => void, keep = false): Promise<ProviderLevel> {
  const gateway = installGateway(plugin, levelGateway(providers))
  const {app} = gateway
  const home = homeOf(gateway)
  let failed = true
  log(`P=${providers}: server and ${providers} client(s) installed`)
  const figures = new Map<number, CommandFigures>()
  let current = 0
  try {
    for (const n of sizes) {
      let batch: CommandFigures['batch']
      if (n > current) {
        const r = plugin.run(['expose', '-f', valuesFile(current, n, app), ...home])
        batch = {services: n - current, ms: r.ms}
        current = n
        // The batch's aftermath is not counted against the commands measured next.
        await settleAfter(batch.services)
      }
      const exposes: Array<{ms: number; stats?: Stats}> = []
      const unexposes: number[] = []
      for (let i = 0; i < rounds; i++) {
        exposes.push(plugin.run(['expose', 'web', '--port', '80', '--service-namespace', app, '--as', 'probe', ...home]))
        unexposes.push(plugin.run(['unexpose', 'probe', ...home]).ms)
      }
      const timed = (args: string[], allowed?: number[]) => median(Array.from({length: rounds}, () => plugin.run([...args, ...home], allowed).ms))
      const stats = exposes.at(-1)!.stats
      figures.set(n, {
        exposeMs: median(exposes.map((e) => e.ms)),
        exposeWrites: stats?.writes ?? NaN,
        exposeKiB: (stats?.bytesSent ?? NaN) / 1024,
        unexposeMs: median(unexposes),
        listMs: timed(['list']),
        // The Service has no pods: backends are down and status exits 8; its cost is what is measured.
        statusMs: timed(['status'], [0, 8]),
        reinstallMs: timed(['server', 'install', '--service-type', 'NodePort']),
        ...(batch ? {batch} : {}),
        registryBytes: dataBytes(plugin, gateway.name, 'svcgw-registry'),
        serverProxyBytes: dataBytes(plugin, gateway.name, 'svcgw-server-haproxy'),
      })
      log(`P=${providers} N=${n}: expose ${figures.get(n)!.exposeMs.toFixed(0)} ms`)
    }
    const all = plugin.run(['unexpose', '--all', ...home])
    log(`P=${providers}: unexpose --all of ${current} services ${all.ms.toFixed(0)} ms`)
    failed = false
    return {byN: figures, unexposeAllMs: all.ms}
  } finally {
    if (failed || !keep) removeGateway(plugin, providers)
  }
}

export interface PairedFigures {
  /** What differs between the two gateways, e.g. "P=1 / P=20 at N=10". */
  label: string
  /** Median ms of one expose on each gateway. */
  fewMs: number
  manyMs: number
  /** Median of each round's many / few. */
  ratio: number
}

/**
 * A gateway: its server in namespace `name` of cluster a, its provider
 * Service (web) in namespace `app` and its clients in namespaces
 * `name`-cI, both of cluster `context`.
 */
export interface Gateway {
  name: string
  app: string
  context: string
  clients: number
  /** Services exposed on it by growTo. */
  services: number
}

const homeOf = (gateway: Gateway) => ['--context', 'ctx-a', '-n', gateway.name]

const namespacesOf = (gateway: Gateway): Array<[string, string]> => [
  ['ctx-a', gateway.name],
  [gateway.context, gateway.app],
  ...Array.from({length: gateway.clients}, (_, i): [string, string] => [gateway.context, `${gateway.name}-c${i}`]),
]

/** The gateway of a level, with P clients in cluster b (kept by controlPlaneFigures, emptied by its last unexpose --all). */
export const levelGateway = (providers: number): Gateway => ({name: `scale-p${providers}`, app: `scale-app-p${providers}`, context: 'ctx-b', clients: providers, services: 0})

/** Makes the gateway's provider Service, server and clients; what was made goes again if a step fails. */
function installGateway(plugin: Plugin, gateway: Gateway): Gateway {
  const home = homeOf(gateway)
  try {
    plugin.kubectl(['--context', gateway.context, 'create', 'namespace', gateway.app])
    plugin.kubectl(['--context', gateway.context, '-n', gateway.app, 'create', 'service', 'clusterip', 'web', '--tcp=80:8080'])
    plugin.run(['server', 'install', ...home, '--service-type', 'NodePort'])
    for (let i = 0; i < gateway.clients; i++) plugin.run(['client', 'install', ...home, '--to', gateway.context, '--name', `c${i}`, '--client-namespace', `${gateway.name}-c${i}`])
  } catch (error) {
    removeNamespaces(plugin, gateway)
    throw error
  }
  return gateway
}

/**
 * A gateway in cluster a with its clients in cluster a: cluster b's one
 * node is full with the largest level's clients (20 client pods at 100m CPU
 * each are its 2 CPUs), and a 21st pod would never be scheduled.
 */
export const makeGateway = (plugin: Plugin, name: string, clients: number): Gateway => installGateway(plugin, {name, app: `${name}-app`, context: 'ctx-a', clients, services: 0})

/** Exposes more services on the gateway (one expose -f) until it holds `services`. */
export function growTo(plugin: Plugin, gateway: Gateway, services: number): void {
  if (services <= gateway.services) return
  plugin.run(['expose', '-f', valuesFile(gateway.services, services, gateway.app), ...homeOf(gateway)])
  gateway.services = services
}

/** Deletes the gateway's namespaces (not waiting). */
export function removeNamespaces(plugin: Plugin, gateway: Gateway): void {
  for (const [ctx, ns] of namespacesOf(gateway)) {
    try {
      plugin.kubectl(['--context', ctx, 'delete', 'namespace', ns, '--wait=false'])
    } catch {}
  }
}

/**
 * One expose on each of two gateways, in turns, `rounds` times: a gateway
 * with fewer providers or services against one with more. The levels run
 * one after the other, so what changes on the machine between them (other
 * work, the aftermath of growing a gateway by hundreds of Services, the
 * clients of another gateway) lands on one side of a ratio only; here every
 * round times both within seconds, with the same gateways running.
 */
export async function exposeInTurns(plugin: Plugin, label: string, few: Gateway, many: Gateway, rounds: number, log: (line: string) => void): Promise<PairedFigures> {
  const sides = [few, many]
  const times: number[][] = [[], []]
  for (let i = 0; i < rounds; i++) {
    sides.forEach((side, k) => times[k].push(plugin.run(['expose', 'web', '--port', '80', '--service-namespace', side.app, '--as', 'paired', ...homeOf(side)]).ms))
    // Not timed: both gateways at once.
    await Promise.all(sides.map((side) => plugin.runInBackground(['unexpose', 'paired', ...homeOf(side)])))
  }
  const figures = {label, fewMs: median(times[0]), manyMs: median(times[1]), ratio: median(times[1].map((ms, i) => ms / times[0][i]))}
  log(`in turns, ${label}: ${figures.fewMs.toFixed(0)} / ${figures.manyMs.toFixed(0)} ms, ${figures.ratio.toFixed(2)}×`)
  return figures
}

/** Waits out a batch's aftermath (kube-proxy programming its Services, the proxies' first checks): 40 ms a service, 20 s at most. */
export const settleAfter = (services: number) => new Promise((resolve) => setTimeout(resolve, Math.min(20_000, services * 40)))
