import {ChildProcess, spawn} from 'node:child_process'
import {closeSync, createWriteStream, mkdirSync, openSync, readFileSync, WriteStream} from 'node:fs'
import {join} from 'node:path'

// Joins the run's cgroups, then becomes the command: the process is in the
// tree before it can fork anything.
const JOIN = 'for d in $SVCGW_CGROUPS; do echo $$ > "$d/cgroup.procs"; done; exec "$@"'

export interface StartOptions {
  /** Network namespace (ip netns name) to run in; default: the host's. */
  netns?: string
  /** Mount namespace (a /proc/PID/ns/mnt path) to run in; default: the host's. */
  mountns?: string
  /** Its output through a pipe, for a caller that reads its stdout (a line that says it is ready); keep it short. */
  pipe?: boolean
}

/**
 * Starts a run's processes and watches them. Each one dies with this process
 * (PR_SET_PDEATHSIG via setpriv: even a SIGKILLed test runner takes its
 * children along), runs inside the run's cgroup, and logs to
 * <logDir>/<name>.log. One that exits while the run is not stopping is a
 * failure, reported with the tail of its log.
 */
export class Supervisor {
  readonly failures: string[] = []
  private readonly children: ChildProcess[] = []
  private readonly streams: WriteStream[] = []
  private stopping = false

  private cgroupDirs?: string[]

  /** cgroups: makes (once, on the first start) the cgroup directories every process joins. */
  constructor(
    private readonly logDir: string,
    private readonly cgroups: () => string[],
    private readonly onLine?: (line: string) => void,
  ) {
    mkdirSync(logDir, {recursive: true})
  }

  logFile(name: string): string {
    return join(this.logDir, `${name}.log`)
  }

  start(name: string, command: string, args: string[], options: StartOptions = {}): ChildProcess {
    const namespaces = [...(options.netns ? [`--net=/run/netns/${options.netns}`] : []), ...(options.mountns ? [`--mount=${options.mountns}`] : [])]
    const enter = namespaces.length > 0 ? ['nsenter', ...namespaces, '--'] : []
    // Without a line callback a process writes its log file itself. Through a pipe, the log would
    // wait for this process's event loop: a test or benchmark blocked in a spawnSync (kubectl, the
    // plugin) would leave the pipe full and the apiserver blocked on its next log line, until
    // its requests time out (a 400-Service expose -f did, at the 265th "allocated clusterIPs").
    const file = this.onLine || options.pipe ? undefined : openSync(this.logFile(name), 'a')
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'sh', '-c', JOIN, 'sh', ...enter, command, ...args], {
      env: {...process.env, SVCGW_CGROUPS: (this.cgroupDirs ??= this.cgroups()).join(' ')},
      stdio: file === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', file, file],
    })
    if (file !== undefined) closeSync(file)
    const tail: string[] = []
    if (file === undefined) {
      const log = createWriteStream(this.logFile(name))
      this.streams.push(log)
      const keep = (d: Buffer) => {
        log.write(d)
        for (const line of d.toString().split('\n').filter(Boolean)) {
          tail.push(line)
          if (tail.length > 40) tail.shift()
          this.onLine?.(`${name}: ${line}`)
        }
      }
      child.stdout!.on('data', keep)
      child.stderr!.on('data', keep)
    }
    const lastLines = () => (file === undefined ? tail : readFileSync(this.logFile(name), 'utf8').split('\n').filter(Boolean)).slice(-15).join('\n')
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.failures.push(`${name} exited (${code ?? signal}):\n${lastLines()}`)
    })
    this.children.push(child)
    return child
  }

  /** From now on an exit is expected. */
  stop(): void {
    this.stopping = true
  }

  /** Last resort (process exit): the cgroup walk of the teardown does the rest. */
  killAll(): void {
    this.stopping = true
    for (const c of this.children) c.kill('SIGKILL')
  }

  closeLogs(): Promise<void> {
    return Promise.all(this.streams.map((s) => new Promise<void>((resolve) => s.end(resolve)))).then(() => undefined)
  }

  /** Throws the first unexpected exit, if any. */
  check(): void {
    if (this.failures.length > 0) throw new Error(this.failures[0])
  }
}
