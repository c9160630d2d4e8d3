import {ChildProcess, execFile, spawn, spawnSync} from 'node:child_process'
import {connect} from 'node:net'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {renderClientFiles, renderServerFiles, scriptFiles} from '../../src/dataplane/index.js'
import {files, rel} from '../../src/dataplane/layout.js'
import type {Proto} from '../../src/dataplane/openvpn.js'
import {parseOpenVpnStatus} from '../../src/health/openvpn-status.js'
import {createCA, issueClientCertificate, issueServerCertificate, type IssuedCertificate, type KeyPair} from '../../src/pki/certificates.js'
import {generateTlsCryptKey} from '../../src/pki/tls-crypt.js'
import {allocateTunnelIP} from '../../src/registry/allocate.js'
import {emptyRegistry, type ExposedService, type Registry} from '../../src/registry/types.js'
import {SERVER_COMMON_NAME} from '../../src/render/names.js'
import {type Host, Network} from './netns.js'

const HERE = fileURLToPath(new URL('.', import.meta.url))
export const TUNNEL_NETWORK = '10.8.0.0/24'
const OPENVPN_PORT = 1194

/** Short timers so failures are seen in seconds; the config is otherwise the production one. */
const TEST_TIMERS = {ping: 1, pingRestart: 4, statusInterval: 1, renegSec: 4}
const TEST_CHECKS = {interMs: 500, fall: 2}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The tools our scripts call besides openvpn, haproxy and ip: busybox applets in the Alpine images. */
const SCRIPT_TOOLS = ['sh', 'awk', 'cat', 'chmod', 'cp', 'cut', 'grep', 'head', 'ip', 'md5sum', 'mkdir', 'mknod', 'mv', 'nc', 'od', 'rm', 'sed', 'sleep', 'timeout', 'tr', 'mktemp', 'wget']
/**
 * The images run the scripts with busybox, so the rig does too when it is
 * installed: `busybox sh` with busybox's applets first on PATH. Otherwise the
 * system sh (dash on Debian, also POSIX). SVCGW_TEST_SHELL=sh forces the latter.
 */
export const useBusybox = process.env.SVCGW_TEST_SHELL !== 'sh' && spawnSync('sh', ['-c', 'command -v busybox']).status === 0

let generation = 0

/**
 * Fills a directory the way the kubelet projects a ConfigMap or Secret
 * volume (its AtomicWriter): the files live in a hidden timestamped
 * directory, `..data` points at it, and each key is a symlink `key ->
 * ..data/key`. An update writes a new hidden directory and swaps `..data` by
 * rename, so readers see the old set or the new one, never a mix; keys
 * appear and disappear as symlinks. Our scripts and daemons read these
 * files exactly as in a pod.
 */
function projectVolume(dir: string, entries: Record<string, string>, mode = 0o644): void {
  mkdirSync(dir, {recursive: true})
  const previous = existsSync(join(dir, '..data')) ? readlinkSync(join(dir, '..data')) : undefined
  const version = `..${new Date().toISOString().replaceAll(/[-:.TZ]/g, '_')}${++generation}`
  mkdirSync(join(dir, version), {mode: 0o755})
  for (const [name, content] of Object.entries(entries)) writeFileSync(join(dir, version, name), content, {mode})
  symlinkSync(version, join(dir, '..data_tmp'))
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
  for (const name of readdirSync(dir)) if (!name.startsWith('..') && !(name in entries)) rmSync(join(dir, name))
  for (const name of Object.keys(entries)) if (!existsSync(join(dir, name))) symlinkSync(join('..data', name), join(dir, name))
  if (previous) rmSync(join(dir, previous), {recursive: true, force: true})
}

export interface RigClient {
  name: string
  host: Host
  backend: Host
  root: string
  openvpn?: ChildProcess
  haproxy?: ChildProcess
  backendProcess?: ChildProcess
}

export interface RigOptions {
  proto: Proto
  clients: string[]
  services: Array<Omit<ExposedService, 'internalPort'> & {internalPort: number}>
  /** Other builds of the daemons (test/dataplane/versions.ts), per side; the scripts find them first on PATH. */
  binaries?: {server?: Binaries; clients?: Binaries}
  /** SVCGW_DRAIN_SECONDS for haproxy-run.sh and openvpn-run.sh (production: 10). */
  drainSeconds?: number
}

/** One TCP connection held open through the gateway (hold.mjs): lines sent are echoed back by the backend. */
export interface Held {
  output: string
  /** When the connection was seen closed (ms since epoch). */
  closedAt?: number
  send(line: string): void
  /** Closes our side: the connection ends normally. */
  close(): void
  kill(): void
}

/** Executables by the name the scripts call: openvpn, haproxy. */
export type Binaries = Partial<Record<'openvpn' | 'haproxy', string>>

/**
 * The gateway in network namespaces: consumer and server and two clients
 * on one bridge, a backend behind each client. It writes the files our
 * renderers produce, in the in-pod layout under a temporary root per
 * host, and runs our scripts with Debian's openvpn and haproxy.
 */
export class Rig {
  readonly net = new Network()
  readonly tmp = mkdtempSync(join(tmpdir(), 'svcgw-dp-'))
  readonly consumer: Host
  readonly server: Host
  readonly serverRoot: string
  readonly clients = new Map<string, RigClient>()
  /** The CA the rig issues from (a CA rotation test moves it on with useCa). */
  ca: KeyPair = createCA({commonName: 'rig-ca'})
  readonly serverCert: IssuedCertificate
  readonly tlsCrypt = generateTlsCryptKey()
  registry: Registry = emptyRegistry()
  serverOpenvpn?: ChildProcess
  serverHaproxy?: ChildProcess
  readonly log: string[] = []
  /** When each log line arrived (ms since epoch), for SVCGW_DP_LOG. */
  readonly logTimes: number[] = []
  /** A line of the test's own in the log, to read it against the daemons' lines. */
  note(text: string): void {
    this.log.push(`test: ${text}`)
    this.logTimes.push(Date.now())
  }

  constructor(readonly options: RigOptions) {
    try {
      this.consumer = this.net.host('consumer', '10.99.0.2')
      this.server = this.net.host('server', '10.99.0.1')
      this.serverRoot = this.prepareRoot('server')
      this.serverCert = issueServerCertificate(this.ca, {commonName: SERVER_COMMON_NAME})
      options.clients.forEach((name, i) => {
        const host = this.net.host(name, `10.99.0.${11 + i}`)
        const backend = this.net.behind(host, `${name}-be`, `10.98.${i + 1}`)
        const client: RigClient = {name, host, backend, root: this.prepareRoot(name)}
        this.clients.set(name, client)
        const cert = issueClientCertificate(this.ca, {commonName: name})
        this.registry.clients.push({name, tunnelIP: allocateTunnelIP(this.registry, TUNNEL_NETWORK), serial: cert.serial, notAfter: ''})
        this.installClientCertificate(name, cert)
      })
      this.registry.services = options.services.map((s) => ({...s}))
      projectVolume(join(this.serverRoot, rel.tls), {'tls.crt': this.serverCert.cert, 'tls.key': this.serverCert.key, 'ca.crt': this.ca.cert}, 0o600)
      this.projectServerTrust([this.ca.cert])
      this.writeConfigs()
    } catch (error) {
      // Nothing runs yet: remove the namespaces and files built so far, so a failed setup leaves nothing behind.
      void this.net.teardown()
      rmSync(this.tmp, {recursive: true, force: true})
      throw error
    }
  }

  private prepareRoot(name: string): string {
    const root = join(this.tmp, name)
    for (const dir of Object.values(rel)) mkdirSync(join(root, dir), {recursive: true})
    projectVolume(join(root, rel.scripts), scriptFiles(), 0o555)
    projectVolume(join(root, rel.tlsCrypt), {[files.tlsCrypt]: this.tlsCrypt}, 0o600)
    return root
  }

  private readonly clientPairs = new Map<string, KeyPair>()

  /** Puts a client certificate (and the CA certificate, or a bundle) where the client's Secret would be mounted. */
  installClientCertificate(name: string, cert: KeyPair, caCert = this.ca.cert): void {
    const root = this.clients.get(name)!.root
    this.clientPairs.set(name, {cert: cert.cert, key: cert.key})
    projectVolume(join(root, rel.tls), {'tls.crt': cert.cert, 'tls.key': cert.key, 'ca.crt': caCert}, 0o600)
  }

  /** The key pair a client's Secret holds now. */
  clientCertificate(name: string): KeyPair {
    return this.clientPairs.get(name)!
  }

  /** Issues from another CA from now on (after a CA rotation). */
  useCa(ca: KeyPair): void {
    this.ca = ca
  }

  /** The server's trusted CAs, as its trust ConfigMap is mounted (a bundle in ca.crt). */
  projectServerTrust(caCerts: string[]): void {
    projectVolume(join(this.serverRoot, rel.trust), {'ca.crt': caCerts.join('')})
  }

  /** The server's own certificate and key, as its Secret is mounted (cert-manager or a rotation rewrites it). */
  projectServerCertificate(pair: KeyPair, caCert: string): void {
    projectVolume(join(this.serverRoot, rel.tls), {'tls.crt': pair.cert, 'tls.key': pair.key, 'ca.crt': caCert}, 0o600)
  }

  /** The md5 openvpn-run.sh reports for the key files the server's OpenVPN runs with, if any. */
  keysLoaded(): string | undefined {
    try {
      return readFileSync(join(this.serverRoot, rel.run, files.openvpnKeysLoaded), 'utf8').trim()
    } catch {
      return undefined
    }
  }

  /** Renders every config from the registry, as an apply would. */
  writeConfigs(): void {
    const server = renderServerFiles(this.registry, {
      proto: this.options.proto,
      port: OPENVPN_PORT,
      tunnelNetwork: TUNNEL_NETWORK,
      timers: TEST_TIMERS,
      checks: TEST_CHECKS,
    })
    projectVolume(join(this.serverRoot, rel.openvpn), server.openvpn)
    projectVolume(join(this.serverRoot, rel.ccd), server.ccd)
    projectVolume(join(this.serverRoot, rel.crl), server.crl)
    projectVolume(join(this.serverRoot, rel.haproxy), server.haproxy)
    for (const client of this.clients.values()) {
      const rendered = renderClientFiles(this.registry, {
        clientName: client.name,
        serverAddress: this.server.address,
        serverPort: OPENVPN_PORT,
        proto: this.options.proto,
        serverName: SERVER_COMMON_NAME,
        resolveService: (svc) => `${client.backend.address}:${svc.port}`,
        checks: TEST_CHECKS,
      })
      projectVolume(join(client.root, rel.openvpn), rendered.openvpn)
      projectVolume(join(client.root, rel.haproxy), rendered.haproxy)
    }
  }

  private env(root: string) {
    const binaries = root === this.serverRoot ? this.options.binaries?.server : this.options.binaries?.clients
    const path = [...(binaries ? [this.binDir(root, binaries)] : []), ...(useBusybox ? [this.applets] : []), process.env.PATH].join(':')
    return {
      SVCGW_ROOT: root,
      SVCGW_WATCH_INTERVAL: '0.5',
      ...(this.options.drainSeconds === undefined ? {} : {SVCGW_DRAIN_SECONDS: String(this.options.drainSeconds)}),
      PATH: path,
    }
  }

  /** A directory of symlinks named as the scripts call the daemons, pointing at other builds. */
  private binDir(root: string, binaries: Binaries): string {
    const dir = join(root, '..', `${root.split('/').pop()}-bin`)
    if (!existsSync(dir)) {
      mkdirSync(dir)
      for (const [name, target] of Object.entries(binaries)) if (target) symlinkSync(target, join(dir, name))
    }
    return dir
  }

  private get applets(): string {
    const dir = join(this.tmp, 'busybox')
    if (!this.appletsReady) {
      mkdirSync(dir, {recursive: true})
      const busybox = spawnSync('sh', ['-c', 'command -v busybox'], {encoding: 'utf8'}).stdout.trim()
      for (const tool of SCRIPT_TOOLS) symlinkSync(busybox, join(dir, tool))
      this.appletsReady = true
    }
    return dir
  }

  private appletsReady = false

  /** Runs one of our scripts, as the pod's container command does. */
  private script(host: Host, root: string, label: string, name: string, ...args: string[]): ChildProcess {
    const shell = useBusybox ? ['busybox', 'sh'] : ['sh']
    return this.watch(this.net.start(host, [...shell, join(root, rel.scripts, name), ...args], this.env(root), this.logger(label)), label)
  }

  /** Daemons that ended without being stopped: any wait fails at once, with their logs. */
  private readonly crashed: string[] = []
  private readonly stopping = new Set<ChildProcess>()

  private watch(child: ChildProcess, label: string): ChildProcess {
    child.once('exit', (code, signal) => {
      if (!this.stopping.has(child)) this.crashed.push(`${label} exited unexpectedly (${signal ?? code})`)
    })
    return child
  }

  private async stop(child: ChildProcess | undefined): Promise<void> {
    if (!child) return
    this.stopping.add(child)
    await this.net.stop(child)
  }

  private logger(prefix: string) {
    return (text: string) => {
      for (const line of text.split('\n').filter(Boolean)) {
        this.log.push(`${prefix}: ${line}`)
        this.logTimes.push(Date.now())
      }
    }
  }

  startServer(): void {
    this.serverOpenvpn = this.script(this.server, this.serverRoot, 'server-openvpn', 'openvpn-run.sh', files.serverConf)
    this.serverHaproxy = this.script(this.server, this.serverRoot, 'server-haproxy', 'haproxy-run.sh')
  }

  /** The server's proxy container alone (the version checks run HAProxy builds without a tunnel). */
  startServerHaproxy(): ChildProcess {
    this.serverHaproxy = this.script(this.server, this.serverRoot, 'server-haproxy', 'haproxy-run.sh')
    return this.serverHaproxy
  }

  async stopServer(): Promise<void> {
    await Promise.all([this.serverOpenvpn, this.serverHaproxy].map((p) => this.stop(p)))
  }

  startBackends(): void {
    for (const name of this.clients.keys()) this.startBackend(name)
  }

  /** The provider Service behind a client (an HTTP server answering with its name, and an echo port). */
  startBackend(name: string): void {
    const c = this.clients.get(name)!
    c.backendProcess = this.watch(this.net.start(c.backend, [process.execPath, join(HERE, 'backend.mjs'), `backend-${c.name}`]), `${c.name}-backend`)
  }

  async stopBackend(name: string): Promise<void> {
    await this.stop(this.clients.get(name)!.backendProcess)
  }

  startClient(name: string): void {
    const c = this.clients.get(name)!
    c.openvpn = this.script(c.host, c.root, `${name}-openvpn`, 'openvpn-run.sh', files.clientConf)
    c.haproxy = this.script(c.host, c.root, `${name}-haproxy`, 'haproxy-run.sh')
  }

  async stopClient(name: string): Promise<void> {
    const c = this.clients.get(name)!
    await Promise.all([c.openvpn, c.haproxy].map((p) => this.stop(p)))
  }

  /** Restarts a client's containers, as a pod restart after its Secret changed does. */
  async restartClient(name: string): Promise<void> {
    await this.stopClient(name)
    this.startClient(name)
  }

  /**
   * Sends a signal to one of our scripts only, as the kubelet sends a
   * container's stop signal to its PID 1 (the rig's stop() signals the whole
   * process group instead). Resolves with the script's exit code.
   */
  async signalScript(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
    this.stopping.add(child)
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    if (child.exitCode !== null) return child.exitCode
    process.kill(child.pid!, signal)
    return exited
  }

  /** Runs one of our scripts to completion in a host's namespace, as kubectl exec does; its exit code and output. */
  execScript(host: Host, root: string, name: string, ...args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
    const shell = useBusybox ? ['busybox', 'sh'] : ['sh']
    const env = Object.entries(this.env(root)).map(([k, v]) => `${k}=${v}`)
    return new Promise((resolve) => {
      execFile('ip', ['netns', 'exec', host.ns, 'env', ...env, ...shell, join(root, rel.scripts, name), ...args], {encoding: 'utf8'}, (error, stdout, stderr) =>
        resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr}),
      )
    })
  }

  /** Replaces the server's mounted haproxy.cfg with any text (e.g. an invalid config), as a ConfigMap update does. */
  projectServerHaproxy(cfg: string): void {
    projectVolume(join(this.serverRoot, rel.haproxy), {[files.haproxyCfg]: cfg})
  }

  /** Holds one TCP connection from the consumer to the server's port: send lines, read the echo, close. */
  hold(port: number): Held {
    const child = spawn('ip', ['netns', 'exec', this.consumer.ns, process.execPath, join(HERE, 'hold.mjs'), this.server.address, String(port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const held: Held = {output: '', closedAt: undefined, send: (line) => child.stdin.write(`${line}\n`), close: () => child.stdin.end(), kill: () => child.kill()}
    child.stdout.on('data', (d: Buffer) => {
      held.output += d.toString()
      if (held.closedAt === undefined && held.output.includes('closed')) held.closedAt = Date.now()
    })
    return held
  }

  /** The md5 haproxy-run.sh reports as loaded (run/haproxy.loaded), if any. */
  loaded(root: string): string | undefined {
    try {
      return readFileSync(join(root, rel.run, files.haproxyLoaded), 'utf8').trim()
    } catch {
      return undefined
    }
  }

  /** Who the server says is connected, from its status file, through our parser. */
  connected(): string[] {
    try {
      return parseOpenVpnStatus(readFileSync(join(this.serverRoot, rel.run, files.openvpnStatus), 'utf8')).clients.map((c) => c.commonName)
    } catch {
      return []
    }
  }

  async waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
    const started = Date.now()
    while (Date.now() - started < timeoutMs) {
      if (this.crashed.length > 0) throw new Error(`${this.crashed.join('; ')} while waiting for ${what}\n${this.log.slice(-30).join('\n')}`)
      if (await check()) return Date.now() - started
      await sleep(200)
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.log.slice(-30).join('\n')}`)
  }

  async waitConnected(names: string[], timeoutMs = 15_000): Promise<number> {
    return this.waitFor(`${names.join(', ')} connected`, () => names.every((n) => this.connected().includes(n)), timeoutMs)
  }

  /** One HTTP request from the consumer to the server's port for a service; the answer, or undefined on failure. */
  request(port: number, timeoutSeconds = 2): Promise<string | undefined> {
    return new Promise((resolve) => {
      execFile(
        'ip',
        ['netns', 'exec', this.consumer.ns, 'curl', '-s', '--max-time', String(timeoutSeconds), `http://${this.server.address}:${port}/`],
        {encoding: 'utf8'},
        (error, stdout) => resolve(error ? undefined : stdout),
      )
    })
  }

  /**
   * request() with the time curl itself measured: the test process's clock
   * also counts the time its event loop was busy (an RSA key generated
   * meanwhile held one request's figure at 1.9 s for a 0.6 s request).
   */
  timedRequest(port: number, timeoutSeconds = 2): Promise<{body?: string; ms: number}> {
    const started = Date.now()
    return new Promise((resolve) => {
      execFile(
        'ip',
        ['netns', 'exec', this.consumer.ns, 'curl', '-s', '--max-time', String(timeoutSeconds), '-w', '\n%{time_total}', `http://${this.server.address}:${port}/`],
        {encoding: 'utf8'},
        (error, stdout) => {
          const cut = stdout.lastIndexOf('\n')
          const curlMs = Math.round(Number(stdout.slice(cut + 1)) * 1000)
          const ms = Number.isFinite(curlMs) && curlMs > 0 ? curlMs : Date.now() - started
          resolve(error ? {ms} : {body: stdout.slice(0, cut), ms})
        },
      )
    })
  }

  /** Whether a host's readiness probe (scripts/openvpn-ready.sh, as the kubelet runs it) passes. */
  async ready(host: Host, root: string): Promise<boolean> {
    return (await this.execScript(host, root, 'openvpn-ready.sh')).code === 0
  }

  /** Runs a command inside the server namespace (e.g. our stats script) and returns stdout. */
  execInServer(command: string[]): Promise<string> {
    // With busybox's applets first on PATH, as in the pod (the stats script's wget is busybox's).
    const env = Object.entries(this.env(this.serverRoot)).map(([k, v]) => `${k}=${v}`)
    return new Promise((resolve, reject) => {
      execFile('ip', ['netns', 'exec', this.server.ns, 'env', ...env, ...command], {encoding: 'utf8'}, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      )
    })
  }

  /** One command on the server HAProxy's admin socket (a unix socket: reachable from any network namespace). */
  haproxyCommand(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let out = ''
      const socket = connect(join(this.serverRoot, rel.run, files.haproxySocket), () => socket.end(`${command}\n`))
      socket.setEncoding('utf8')
      socket.on('data', (d: string) => (out += d))
      socket.on('end', () => resolve(out))
      socket.on('error', reject)
    })
  }

  async teardown(): Promise<void> {
    if (process.env.SVCGW_DP_LOG) writeFileSync(`${process.env.SVCGW_DP_LOG}.${this.options.proto}`, this.log.map((l, i) => `${new Date(this.logTimes[i]).toISOString().slice(11, 23)} ${l}\n`).join(''))
    for (const c of this.clients.values()) for (const p of [c.openvpn, c.haproxy, c.backendProcess]) if (p) this.stopping.add(p)
    for (const p of [this.serverOpenvpn, this.serverHaproxy]) if (p) this.stopping.add(p)
    await this.net.teardown()
    rmSync(this.tmp, {recursive: true, force: true})
  }
}
