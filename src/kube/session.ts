import {existsSync, statSync} from 'node:fs'
import {delimiter} from 'node:path'
import {KubeConfig} from '@kubernetes/client-node'

import {notFoundError, usageError} from '../errors.js'
import {Cluster} from './cluster.js'
import {DryRunJournal} from './dry-run.js'
import {type KubeconfigOrigin, kubeconfigFiles} from './kubeconfig-files.js'

export interface KubeconfigSource {
  /** --kubeconfig; otherwise $KUBECONFIG, then ~/.kube/config, as kubectl does. */
  kubeconfig?: string
}

interface Located {
  files: string[]
  /** Where the paths came from, for the error a newcomer reads. */
  from: KubeconfigOrigin
}

function locate(source: KubeconfigSource): Located {
  const {files, from} = kubeconfigFiles(source.kubeconfig)
  if (from === '--kubeconfig') {
    if (!existsSync(files[0])) throw usageError(`kubeconfig ${files[0]} (from --kubeconfig) does not exist`, 'pass the path of a kubeconfig file')
    return {files, from}
  }
  if (from === 'KUBECONFIG') {
    // kubectl skips the files of KUBECONFIG that do not exist, and fails only when none does.
    const present = files.filter((f) => existsSync(f))
    if (present.length === 0) {
      throw usageError(`no file of KUBECONFIG (${files.join(delimiter)}) exists`, 'point KUBECONFIG at a kubeconfig file, or pass --kubeconfig PATH')
    }
    return {files: present, from}
  }
  if (!existsSync(files[0])) throw usageError(`no kubeconfig found (KUBECONFIG is not set and ${files[0]} does not exist)`, 'pass --kubeconfig PATH or set KUBECONFIG')
  return {files, from}
}

function load(source: KubeconfigSource): KubeConfig {
  const {files, from} = locate(source)
  const kc = new KubeConfig()
  for (const [i, file] of files.entries()) {
    if (statSync(file).isDirectory()) throw usageError(`kubeconfig ${file} (from ${from}) is a directory`, 'point it at a kubeconfig file')
    const one = i === 0 ? kc : new KubeConfig()
    try {
      one.loadFromFile(file)
    } catch (error) {
      // The library fails on an empty file with a TypeError about "clusters": say what it means.
      const reason = error instanceof TypeError ? 'it is empty or not a kubeconfig' : (error as Error).message.split('\n')[0]
      throw usageError(`cannot read kubeconfig ${file} (from ${from}): ${reason}`, 'fix the file, or pass --kubeconfig with another one')
    }
    if (one !== kc) kc.mergeConfig(one)
  }
  if (kc.getContexts().length === 0) {
    throw usageError(`the kubeconfig (${files.join(delimiter)}, from ${from}) has no contexts`, 'add one with "kubectl config set-context", or pass --kubeconfig with another file')
  }
  return kc
}

/**
 * The kubeconfig of one command run, read once, and the clusters it opens:
 * one Cluster per context (with its own KubeConfig, so credentials never
 * mix), reused by every step of the command. In a dry run each cluster
 * keeps a journal of what would change.
 */
export class KubeSession {
  private loaded?: KubeConfig
  private readonly clusters = new Map<string, Cluster>()

  constructor(
    readonly source: KubeconfigSource,
    readonly options: {dryRun?: boolean} = {},
  ) {}

  private get kc(): KubeConfig {
    this.loaded ??= load(this.source)
    return this.loaded
  }

  contextNames(): string[] {
    return this.kc.getContexts().map((c) => c.name)
  }

  currentContext(): string {
    return this.kc.getCurrentContext()
  }

  /** The Cluster of a context (default: the current one). */
  open(context?: string): Cluster {
    const names = this.contextNames()
    const name = context ?? this.currentContext()
    if (!name) throw usageError('the kubeconfig has no current context', `pass --context (one of: ${names.join(', ')})`)
    const cached = this.clusters.get(name)
    if (cached) return cached
    const found = this.kc.getContextObject(name)
    if (!found) throw notFoundError(`no context "${name}" in the kubeconfig`, `use one of: ${names.join(', ')}`)
    const own = new KubeConfig()
    own.loadFromString(this.kc.exportConfig())
    own.setCurrentContext(name)
    reuseConnections(own)
    const cluster = new Cluster(name, own, found.namespace, this.options.dryRun ? new DryRunJournal() : undefined)
    this.clusters.set(name, cluster)
    return cluster
  }

  /** Every cluster this run opened, in order: a dry run reports their journals. */
  opened(): Cluster[] {
    return [...this.clusters.values()]
  }
}

/**
 * One connection pool per context and credentials, kept alive between requests. The client
 * library builds a new agent for every request, so each one paid a TCP and TLS handshake and
 * parsed the client key again: with 20 providers an expose made about 100 requests, and those
 * handshakes were most of its CPU. Credentials that change (an exec plugin's) get a pool each,
 * keyed by what the agent is built from. Idle pooled sockets do not keep the process alive.
 */
function reuseConnections(kc: KubeConfig): void {
  const target = kc as unknown as {createAgent(cluster: unknown, options: Record<string, unknown>): unknown}
  const build = target.createAgent.bind(kc)
  const pools = new Map<string, unknown>()
  const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v)
  target.createAgent = (cluster, options) => {
    const key = JSON.stringify([cluster, ...['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].map((k) => text(options[k]))])
    let agent = pools.get(key)
    if (!agent) {
      agent = build(cluster, {...options, keepAlive: true})
      pools.set(key, agent)
    }
    return agent
  }
}
