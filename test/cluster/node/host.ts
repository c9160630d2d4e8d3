import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'

/** Runs a command to completion; throws one line with its stderr when it fails. */
export function run(command: string, args: string[], input?: string): string {
  try {
    return execFileSync(command, args, {encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe']})
  } catch (error) {
    const e = error as {stderr?: string; message: string}
    throw new Error(`${command} ${args.join(' ')}: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' | ')}`)
  }
}

/** Runs a command whose failure only means there was nothing to do (teardown). */
export function attempt(command: string, args: string[]): boolean {
  return spawnSync(command, args, {stdio: 'ignore'}).status === 0
}

/** Field 22 of /proc/PID/stat: tells a live process from a later one that reuses its pid. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** Why this machine cannot run test nodes, or undefined when it can. */
export function nodePrerequisites(): string | undefined {
  if (process.platform !== 'linux') return 'test nodes need Linux'
  if (process.getuid?.() !== 0) return 'test nodes need root (network namespaces, cgroups, mounts)'
  const commands: Array<[string, string]> = [
    ['containerd', 'containerd'],
    ['ctr', 'containerd'],
    ['runc', 'runc'],
    ['iptables', 'iptables'],
    ['conntrack', 'conntrack'],
    ['ip', 'iproute2'],
    ['nsenter', 'util-linux'],
    ['setpriv', 'util-linux'],
  ]
  const missing = commands.filter(([command]) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0).map(([, pkg]) => pkg)
  if (!existsSync('/usr/lib/cni/bridge')) missing.push('containernetworking-plugins')
  if (missing.length > 0) return `test nodes need ${[...new Set(missing)].join(', ')} (apt-get install -y ${[...new Set(missing)].join(' ')})`
  if (!existsSync('/sys/fs/cgroup/freezer')) return 'test nodes need the cgroup v1 freezer hierarchy at /sys/fs/cgroup/freezer'
  return undefined
}
