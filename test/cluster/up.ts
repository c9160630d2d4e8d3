import {ChildProcess, execFileSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {request} from 'node:https'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {KubeConfig} from '@kubernetes/client-node'

import {createCgroup} from './node/cgroups.js'
import {importImages} from './node/containerd.js'
import {nodePrerequisites} from './node/host.js'
import {type NodeLayout, nodeLayout} from './node/layout.js'
import {createNetwork} from './node/network.js'
import {joinNode, type NodeBinaries, prepareNode, waitNode} from './node/node.js'
import {names, newRun, nodeNetwork} from './node/runs.js'
import {Supervisor} from './node/supervisor.js'
import {teardown} from './node/teardown.js'
import {reapDeadRuns, startWatchdog} from './node/watchdog.js'
import {type ClusterPki, clusterPki, componentKubeconfig, usersKubeconfig} from './pki.js'

export interface NodeInfo {
  /** The admin context of the node's cluster (ctx-a, ctx-b, …). */
  context: string
  /** The Node object's name. */
  name: string
  /** Its InternalIP: reachable from the host and from every other node and its pods. */
  ip: string
}

export interface ClusterSet {
  kubeconfig: string
  dir: string
  /** Names everything the run creates on the host: netns svcgw-<id>-a, bridge svgw<id>, cgroup /svcgw-<id>, … */
  runId: string
  /** ctx-a, ctx-b, …: admin (system:masters) contexts. ctx-a-restricted, …: a user with no RBAC bindings. */
  contexts: string[]
  /** One node per cluster, in the order of contexts. */
  nodes: NodeInfo[]
  /** Runs argv in the network namespace of a cluster's node (as the node's processes see the network); returns stdout. */
  execInNode(context: string, argv: string[]): string
  /** The log so far of a component: containerd, kubelet, kube-proxy, coredns (node); apiserver, controller-manager, scheduler. */
  nodeLog(context: string, component: string): string
  /** Imports more docker-archives into every node's containerd. */
  importImages(archives: string[]): Promise<void>
  /**
   * Starts one more host process of the run (e.g. cert-manager's controllers for one cluster): it
   * dies with the run and logs to the run's log directory (see logFile); an exit before stop() is a failure.
   */
  spawn(name: string, command: string, args: string[]): ChildProcess
  /** The log file of a process started by the run or by spawn(). */
  logFile(name: string): string
  stop(): Promise<void>
}

export type Artifacts = NodeBinaries

export interface UpOptions {
  clusters: number
  dir?: string
  /** Also pass every log line of every process here. */
  log?: (line: string) => void
  /** Log verbosity of the Kubernetes components (default 0). */
  v?: number
}

const CONTROLLERS = [
  'namespace-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'deployment-controller',
  'replicaset-controller',
  'endpointslice-controller',
  // Removes the not-ready taint from a node once it is Ready.
  'node-lifecycle-controller',
].join(',')

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    // The apiservers listen on every address (loopback for the tests, the bridge for the nodes).
    server.listen(0, '0.0.0.0', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

const letter = (i: number) => String.fromCharCode(97 + i)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** GET /readyz with the admin certificate until it answers 200. */
async function waitReady(port: number, pki: ClusterPki, timeoutMs: number, supervisor: Supervisor): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    supervisor.check()
    const status = await new Promise<number>((resolve) => {
      const req = request(
        {host: '127.0.0.1', port, path: '/readyz', ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key, timeout: 2000},
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', () => resolve(0))
      req.on('timeout', () => req.destroy())
      req.end()
    })
    if (status === 200) return
    if (Date.now() > deadline) throw new Error(`kube-apiserver on port ${port} not ready after ${timeoutMs} ms`)
    await sleep(100)
  }
}

interface Cluster {
  name: string
  port: number
  pki: ClusterPki
  cdir: string
  node: NodeLayout
  admin: KubeConfig
}

/**
 * Starts N clusters, each a control plane on the host and a real node in a
 * network namespace of its own (see node/network.ts): one etcd (a key prefix
 * per cluster), per cluster a kube-apiserver, kube-controller-manager and
 * kube-scheduler, and per node containerd (with the given images), kubelet,
 * kube-proxy and CoreDNS. Resolves once every node is Ready, untainted and
 * its DNS answers.
 */
export async function up(artifacts: Artifacts, options: UpOptions): Promise<ClusterSet> {
  const why = nodePrerequisites()
  if (why) throw new Error(why)
  await reapDeadRuns()
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'svcgw-cp-'))
  mkdirSync(dir, {recursive: true})
  const v = options.v ?? 0
  const letters = Array.from({length: options.clusters}, (_, i) => letter(i))
  const record = newRun(dir, letters)
  const watchdog = startWatchdog(record.id)
  const n = names(record.id)
  const net = nodeNetwork(record.subnet)
  const supervisor = new Supervisor(join(dir, 'logs'), () => createCgroup(`${n.cgroup}/procs`), options.log)
  // A parent that exits (even by an uncaught error) takes its children along; the watchdog cleans up the rest.
  const onExit = () => supervisor.killAll()
  process.once('exit', onExit)
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    supervisor.stop()
    const keep = process.env.SVCGW_KEEP_LOGS
    if (keep) cpSync(join(dir, 'logs'), join(keep, `run-${record.id}`), {recursive: true})
    await teardown(record)
    await supervisor.closeLogs()
    watchdog.release()
    process.removeListener('exit', onExit)
  }
  try {
    const layouts = letters.map((_, i) => nodeLayout(record, i))
    for (const node of layouts) createCgroup(node.cgroupRoot)
    createNetwork(record)
    // containerd and the image imports need no apiserver: they run meanwhile.
    const prepared = Promise.all(layouts.map((node) => prepareNode(supervisor, node, artifacts.images)))
    prepared.catch(() => undefined)

    const [clientPort, peerPort] = [await freePort(), await freePort()]
    const etcd = supervisor.start('etcd', artifacts.testcp, ['etcd', '--data-dir', join(dir, 'etcd'), '--client-port', String(clientPort), '--peer-port', String(peerPort)], {pipe: true})
    await new Promise<void>((resolve, reject) => {
      etcd.stdout!.on('data', (d: Buffer) => d.toString().includes('etcd ready') && resolve())
      etcd.once('exit', () => reject(new Error(supervisor.failures.join('\n') || 'etcd exited')))
    })
    const clusters: Cluster[] = []
    for (const [i, name] of letters.entries()) {
      const cdir = join(dir, `cluster-${name}`)
      mkdirSync(cdir, {recursive: true})
      const node = layouts[i]
      const pki = clusterPki(node.name, [net.bridgeIP])
      const files: Record<string, string> = {
        'ca.crt': pki.ca.cert,
        'serving.crt': pki.serving.cert,
        'serving.key': pki.serving.key,
        'sa.key': pki.serviceAccount.key,
        'sa.pub': pki.serviceAccount.pub,
      }
      for (const [file, content] of Object.entries(files)) writeFileSync(join(cdir, file), content, {mode: 0o600})
      const port = await freePort()
      writeFileSync(join(cdir, 'kubeconfig'), usersKubeconfig([{name, port, pki}]), {mode: 0o600})
      writeFileSync(join(cdir, 'scheduler.kubeconfig'), componentKubeconfig(`https://127.0.0.1:${port}`, pki.ca, pki.scheduler), {mode: 0o600})
      supervisor.start(`apiserver-${name}`, artifacts.testcp, [
        'kube-apiserver',
        `--etcd-servers=http://127.0.0.1:${clientPort}`,
        `--etcd-prefix=/cluster-${name}`,
        // Loopback for the tests and kubectl, the node bridge for kubelets, kube-proxies and pods.
        '--bind-address=0.0.0.0',
        `--advertise-address=${net.bridgeIP}`,
        `--secure-port=${port}`,
        `--cert-dir=${cdir}`,
        `--tls-cert-file=${join(cdir, 'serving.crt')}`,
        `--tls-private-key-file=${join(cdir, 'serving.key')}`,
        `--client-ca-file=${join(cdir, 'ca.crt')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(cdir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(cdir, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        // exec and logs reach the kubelet at the node's address, not its (unresolvable) name.
        '--kubelet-preferred-address-types=InternalIP',
        '--allow-privileged=true',
        '--enable-priority-and-fairness=false',
        `--v=${v}`,
      ])
      const admin = new KubeConfig()
      admin.loadFromFile(join(cdir, 'kubeconfig'))
      clusters.push({name, port, pki, cdir, node, admin})
    }
    await Promise.all(clusters.map((c) => waitReady(c.port, c.pki, 90_000, supervisor)))
    for (const c of clusters) {
      supervisor.start(`controller-manager-${c.name}`, artifacts.testcp, [
        'kube-controller-manager',
        `--kubeconfig=${join(c.cdir, 'kubeconfig')}`,
        `--controllers=${CONTROLLERS}`,
        `--service-account-private-key-file=${join(c.cdir, 'sa.key')}`,
        `--root-ca-file=${join(c.cdir, 'ca.crt')}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--concurrent-deployment-syncs=5',
        `--v=${v}`,
      ])
      supervisor.start(`scheduler-${c.name}`, artifacts.testcp, [
        'kube-scheduler',
        `--kubeconfig=${join(c.cdir, 'scheduler.kubeconfig')}`,
        '--leader-elect=false',
        '--secure-port=0',
        `--v=${v}`,
      ])
    }
    const mountns = await prepared
    await Promise.all(
      clusters.map(async (c, i) => {
        await joinNode(supervisor, artifacts, c.node, mountns[i], {server: `https://${net.bridgeIP}:${c.port}`, pki: c.pki, admin: c.admin}, v)
        await waitNode(supervisor, c.node, c.admin, 60_000)
      }),
    )

    const kubeconfig = join(dir, 'kubeconfig')
    writeFileSync(kubeconfig, usersKubeconfig(clusters), {mode: 0o600})
    const byContext = (context: string) => {
      const c = clusters.find((x) => `ctx-${x.name}` === context)
      if (!c) throw new Error(`no cluster with context ${context} (have ${clusters.map((x) => `ctx-${x.name}`).join(', ')})`)
      return c
    }
    return {
      kubeconfig,
      dir,
      runId: record.id,
      contexts: clusters.map((c) => `ctx-${c.name}`),
      nodes: clusters.map((c) => ({context: `ctx-${c.name}`, name: c.node.name, ip: c.node.ip})),
      execInNode: (context, argv) =>
        execFileSync('nsenter', [`--net=/run/netns/${byContext(context).node.netns}`, '--', ...argv], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}),
      nodeLog: (context, component) => {
        const file = supervisor.logFile(`${component}-${byContext(context).name}`)
        return existsSync(file) ? readFileSync(file, 'utf8') : ''
      },
      importImages: (archives) => Promise.all(layouts.map((node) => importImages(node, archives))).then(() => undefined),
      spawn: (name, command, args) => supervisor.start(name, command, args),
      logFile: (name) => supervisor.logFile(name),
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

// As a command: `tsx test/cluster/up.ts --clusters 2 [--dir DIR]` prints `READY <kubeconfig>`
// and runs until interrupted or until its standard input closes.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const {buildAll} = await import('./builds.js')
  const arg = (name: string) => {
    const i = process.argv.indexOf(name)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const built = buildAll('inherit')
  if ('missing' in built) {
    process.stderr.write(`up: ${built.missing}\n`)
    process.exit(3)
  }
  const started = Date.now()
  const set = await up(built, {clusters: Number(arg('--clusters') ?? 2), dir: arg('--dir'), v: Number(arg('--v') ?? 0)})
  process.stderr.write(`up: run ${set.runId}: ${set.contexts.length} cluster(s) with nodes ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`)
  process.stdout.write(`READY ${set.kubeconfig}\n`)
  const shutdown = async () => {
    const stopping = Date.now()
    await set.stop()
    process.stderr.write(`up: stopped in ${((Date.now() - stopping) / 1000).toFixed(1)}s\n`)
    process.exit(0)
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
  process.stdin.on('end', shutdown)
  process.stdin.resume()
}
