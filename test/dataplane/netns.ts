import {ChildProcess, execFileSync, spawn, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'

/**
 * Every namespace and link of the suite starts with PREFIX and the id of the
 * process that made it (base 36), so that runs side by side on one machine
 * (two engineers, a benchmark and a test) never touch each other's, and the
 * leftovers of a run that died are found by their owner being gone.
 */
export const PREFIX = 'svcgwt'
const RUN = process.pid.toString(36)
/** Namespace names: svcgwt<run>-<name>; link names (15 bytes at most): sg<run><kind><n>. */
const nsName = (name: string) => `${PREFIX}${RUN}-${name}`
const linkName = (kind: string, n: number) => `sg${RUN}${kind}${n}`

const alive = (run: string): boolean => {
  try {
    process.kill(Number.parseInt(run, 36), 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const ip = (...args: string[]): string => execFileSync('ip', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
export const inNs = (ns: string, ...args: string[]): string => ip('netns', 'exec', ns, ...args)

/** Why the suite cannot run here, or undefined when it can. */
export function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (ip netns)'
  for (const bin of ['ip', 'openvpn', 'haproxy', 'curl']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `needs ${bin} (apt-get install openvpn haproxy iproute2 curl)`
  }
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun'
  return undefined
}

/** Removes namespaces and links left by earlier runs whose process is gone (a crash before teardown). */
export function removeLeftovers(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0]
    const run = new RegExp(`^${PREFIX}([0-9a-z]+)-`).exec(name)?.[1]
    // Names without a run id come from older versions of this harness.
    const stale = run ? !alive(run) : name.startsWith(`${PREFIX}-`)
    if (!stale) continue
    spawnSync('sh', ['-c', `ip netns pids ${name} | xargs -r kill -9`])
    spawnSync('ip', ['netns', 'del', name])
  }
  // A veth pair made but not yet moved into its namespaces when the run died.
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const name = /^\d+: (sg[0-9a-z]+?)[hsab]\d+[@:]/.exec(line)?.[1]
    if (name && !alive(name.slice(2))) spawnSync('ip', ['link', 'del', line.split(': ')[1].split('@')[0]])
  }
}

export interface Host {
  ns: string
  address: string
}

/**
 * A small network: hosts on one bridge (10.99.0.0/24, in a switch
 * namespace), and private links between a host and the hosts behind it
 * (backends reachable only from their client).
 */
export class Network {
  private readonly namespaces: string[] = []
  private readonly processes: ChildProcess[] = []
  readonly switchNs = nsName('sw')
  private linkCount = 0

  constructor() {
    this.addNs(this.switchNs)
    inNs(this.switchNs, 'ip', 'link', 'add', 'br0', 'type', 'bridge')
    inNs(this.switchNs, 'ip', 'link', 'set', 'br0', 'up')
  }

  private addNs(name: string): void {
    ip('netns', 'add', name)
    this.namespaces.push(name)
    ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up')
  }

  /** A host on the shared bridge. */
  host(name: string, address: string): Host {
    const ns = nsName(name)
    this.addNs(ns)
    const id = this.linkCount++
    ip('link', 'add', linkName('h', id), 'type', 'veth', 'peer', 'name', linkName('s', id))
    ip('link', 'set', linkName('h', id), 'netns', ns, 'name', 'eth0')
    ip('link', 'set', linkName('s', id), 'netns', this.switchNs)
    inNs(this.switchNs, 'ip', 'link', 'set', linkName('s', id), 'master', 'br0', 'up')
    inNs(ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0')
    inNs(ns, 'ip', 'link', 'set', 'eth0', 'up')
    return {ns, address}
  }

  /** A host reachable only over a private link from `from` (e.g. a backend behind a client). */
  behind(from: Host, name: string, subnet: string): Host {
    const ns = nsName(name)
    this.addNs(ns)
    const id = this.linkCount++
    ip('link', 'add', linkName('a', id), 'type', 'veth', 'peer', 'name', linkName('b', id))
    ip('link', 'set', linkName('a', id), 'netns', from.ns, 'name', `to-${name}`)
    ip('link', 'set', linkName('b', id), 'netns', ns, 'name', 'eth0')
    inNs(from.ns, 'ip', 'addr', 'add', `${subnet}.1/24`, 'dev', `to-${name}`)
    inNs(from.ns, 'ip', 'link', 'set', `to-${name}`, 'up')
    inNs(ns, 'ip', 'addr', 'add', `${subnet}.2/24`, 'dev', 'eth0')
    inNs(ns, 'ip', 'link', 'set', 'eth0', 'up')
    return {ns, address: `${subnet}.2`}
  }

  /** Starts a long-running process in a namespace; teardown ends it. */
  start(host: Host, command: string[], env: NodeJS.ProcessEnv = {}, log?: (line: string) => void): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', host.ns, 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...command], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const forward = (data: Buffer) => log?.(data.toString())
    child.stdout?.on('data', forward)
    child.stderr?.on('data', forward)
    this.processes.push(child)
    return child
  }

  /** Ends a process and its children, waiting until it is gone. */
  async stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    try {
      process.kill(-child.pid!, signal)
    } catch {
      return
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    }, 5000)
    await gone
    clearTimeout(timer)
  }

  async teardown(): Promise<void> {
    await Promise.all(this.processes.map((p) => this.stop(p, 'SIGKILL')))
    for (const ns of this.namespaces.reverse()) {
      spawnSync('sh', ['-c', `ip netns pids ${ns} | xargs -r kill -9`])
      spawnSync('ip', ['netns', 'del', ns])
    }
  }
}
