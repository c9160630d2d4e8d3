import {SvcgwError} from '../../errors.js'
import {Cluster} from '../../kube/cluster.js'
import type {ConfigMap, Deployment, EndpointSlice, Namespace, NetworkPolicy, Pod, Service} from '../../kube/object.js'
import {execInPod, listPods, podHttpGet, podLogs} from '../../kube/pods.js'
import {CONFIG_ID_PATH} from '../../dataplane/config-id.js'
import {STATS_PORT} from '../../dataplane/layout.js'
import {type HaproxyStatRow, parseHaproxyStats} from '../../health/index.js'
import type {KeyPair} from '../../pki/certificates.js'
import type {ServerSettings} from '../../registry/settings.js'
import type {Registry, RegisteredClient} from '../../registry/types.js'
import {names} from '../../render/names.js'
import {labelSelectorFor} from '../../render/objects.js'
import {discoverEndpoint, type Endpoint} from '../endpoint.js'
import {Home} from '../home.js'
import {readClientKeyPair, readServerSecrets} from '../key-material.js'
import {type Provider, providerOf} from '../providers.js'
import {STATS_PATH} from '../server-health.js'
import {clientLive, serverLive} from '../sync.js'

/** A look that worked, or the error that kept it from working (a missing permission, an unreachable cluster). */
export type Got<T> = {ok: true; value: T} | {ok: false; error: SvcgwError}

export const got = async <T>(look: () => Promise<T>): Promise<Got<T>> => {
  try {
    return {ok: true, value: await look()}
  } catch (error) {
    if (error instanceof SvcgwError) return {ok: false, error}
    throw error
  }
}

/** What a look needs, as RBAC names it: shown on a '?' hop when the look was refused. */
export const needs = (verb: string, resource: string, namespace: string | undefined, context: string): string =>
  `${verb} ${resource}${namespace ? ` in namespace ${namespace}` : ''} (context ${context})`

/** A '?' hop's note: the permission it needed when the look was refused, else nothing (the detail says what failed). */
export const missingIf = (error: SvcgwError, need: string): {missing?: string} => (error.errorClass === 'forbidden' ? {missing: need} : {})

/** A failed look in a few words: a refusal says so (the '?' line names the permission), anything else its message. */
export const why = (error: SvcgwError): string => (error.errorClass === 'forbidden' ? 'not allowed to look' : error.message)

/** Seconds a probe or lookup inside a pod may take. */
export const POD_TIMEOUT_MS = 8000

/**
 * Everything doctor looks at, each fetched at most once per run (several
 * services share the server's and a client's facts) and started early, so
 * the walk mostly waits on looks that already run in parallel.
 */
export class DoctorContext {
  private readonly memo = new Map<string, Promise<unknown>>()

  constructor(
    readonly home: Home,
    readonly registry: Registry,
    readonly settings: ServerSettings,
  ) {}

  once<T>(key: string, look: () => Promise<T>): Promise<Got<T>> {
    let cached = this.memo.get(key) as Promise<Got<T>> | undefined
    if (!cached) {
      cached = got(look)
      this.memo.set(key, cached)
    }
    return cached
  }

  get cluster(): Cluster {
    return this.home.cluster
  }

  get namespace(): string {
    return this.home.namespace
  }

  // ---- home side

  serverPods(): Promise<Got<Pod[]>> {
    return this.once('server-pods', () => listPods(this.cluster, this.namespace, labelSelectorFor('server')))
  }

  serverDeployment(): Promise<Got<Deployment | undefined>> {
    return this.once('server-deployment', () => this.cluster.read<Deployment>({apiVersion: 'apps/v1', kind: 'Deployment', name: names.serverDeployment, namespace: this.namespace}))
  }

  /** The running server pod doctor reads live data from: the newest Running one. */
  async serverPod(): Promise<Pod | undefined> {
    const pods = await this.serverPods()
    return pods.ok ? pods.value.find((p) => p.status?.phase === 'Running') : undefined
  }

  /** HAProxy's stats of the server, through port-forward (`key` tells a second read apart). */
  stats(key = 'before'): Promise<Got<HaproxyStatRow[]>> {
    return this.once(`stats-${key}`, async () => {
      const pod = await this.serverPod()
      if (!pod) throw new SvcgwError('notFound', 'the server pod is not running')
      return parseHaproxyStats(await podHttpGet(this.cluster, this.namespace, pod.metadata.name, STATS_PORT, STATS_PATH, POD_TIMEOUT_MS))
    })
  }

  /** The ID of the config the server's proxy runs. */
  serverConfigId(): Promise<Got<string>> {
    return this.once('server-config-id', async () => {
      const pod = await this.serverPod()
      if (!pod) throw new SvcgwError('notFound', 'the server pod is not running')
      return (await podHttpGet(this.cluster, this.namespace, pod.metadata.name, STATS_PORT, CONFIG_ID_PATH, POD_TIMEOUT_MS)).trim()
    })
  }

  /** The ID the server's proxy should answer: that of the config rendered from the registry now (as expose --wait confirms it). */
  expectedServerConfigId(): Promise<Got<string | undefined>> {
    return this.once('server-config-id-expected', () => serverLive(this.home).expectedId())
  }

  configMap(cluster: Cluster, namespace: string, name: string): Promise<Got<ConfigMap | undefined>> {
    return this.once(`cm/${cluster.context}/${namespace}/${name}`, () => cluster.read<ConfigMap>({apiVersion: 'v1', kind: 'ConfigMap', name, namespace}))
  }

  /** The gateway CA's certificate (a Secret: admin only). */
  caCertificate(): Promise<Got<string | undefined>> {
    return this.once('ca', async () => (await readServerSecrets(this.cluster, this.namespace))?.ca.cert)
  }

  /** Where the server's Service publishes it now (what a client installed now would dial). */
  publishedEndpoint(sameCluster: boolean): Promise<Got<Endpoint | undefined>> {
    return this.once(`endpoint/${sameCluster}`, () => discoverEndpoint(this.cluster, this.namespace, this.settings, sameCluster))
  }

  // ---- any cluster

  service(cluster: Cluster, namespace: string, name: string): Promise<Got<Service | undefined>> {
    return this.once(`svc/${cluster.context}/${namespace}/${name}`, () => cluster.read<Service>({apiVersion: 'v1', kind: 'Service', name, namespace}))
  }

  endpointSlices(cluster: Cluster, namespace: string, service: string): Promise<Got<EndpointSlice[]>> {
    return this.once(`eps/${cluster.context}/${namespace}/${service}`, () =>
      cluster.list<EndpointSlice>({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace, labelSelector: `kubernetes.io/service-name=${service}`}),
    )
  }

  pods(cluster: Cluster, namespace: string, selector: string): Promise<Got<Pod[]>> {
    return this.once(`pods/${cluster.context}/${namespace}/${selector}`, () => listPods(cluster, namespace, selector))
  }

  networkPolicies(cluster: Cluster, namespace: string): Promise<Got<NetworkPolicy[]>> {
    return this.once(`netpol/${cluster.context}/${namespace}`, () => cluster.list<NetworkPolicy>({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace}))
  }

  /** A namespace's labels; when it cannot be read, the label every namespace carries. */
  namespaceLabels(cluster: Cluster, namespace: string): Promise<Record<string, string>> {
    return this.once(`ns/${cluster.context}/${namespace}`, () => cluster.read<Namespace>({apiVersion: 'v1', kind: 'Namespace', name: namespace})).then((r) => ({
      'kubernetes.io/metadata.name': namespace,
      ...(r.ok ? (r.value?.metadata.labels ?? {}) : {}),
    }))
  }

  logs(cluster: Cluster, namespace: string, pod: string, container: string, previous = false): Promise<Got<string>> {
    return this.once(`logs/${cluster.context}/${namespace}/${pod}/${container}/${previous}`, () => podLogs(cluster, namespace, pod, container, {tailLines: 80, previous}))
  }

  exec(cluster: Cluster, namespace: string, pod: string, container: string, script: string, key: string): Promise<Got<string>> {
    return this.once(`exec/${cluster.context}/${namespace}/${pod}/${container}/${key}`, () => execInPod(cluster, namespace, pod, container, ['/bin/sh', '-c', script], POD_TIMEOUT_MS))
  }

  // ---- a client's provider

  provider(client: RegisteredClient): Got<Provider> {
    try {
      return {ok: true, value: providerOf(this.home, client)}
    } catch (error) {
      if (error instanceof SvcgwError) return {ok: false, error}
      throw error
    }
  }

  clientDeployment(provider: Provider): Promise<Got<Deployment | undefined>> {
    return this.once(`client-deployment/${provider.clientName}`, () =>
      provider.cluster.read<Deployment>({apiVersion: 'apps/v1', kind: 'Deployment', name: names.clientDeployment, namespace: provider.namespace}),
    )
  }

  clientPods(provider: Provider): Promise<Got<Pod[]>> {
    return this.pods(provider.cluster, provider.namespace, labelSelectorFor('client'))
  }

  /** The certificate the provider holds for its client (a Secret: admin only). */
  clientKeyPair(provider: Provider): Promise<Got<KeyPair | undefined>> {
    return this.once(`client-cert/${provider.clientName}`, () => readClientKeyPair(provider.cluster, provider.namespace))
  }

  /** The ID of the config a client's proxy runs, through port-forward to its pod. */
  clientConfigId(provider: Provider, pod: string): Promise<Got<string>> {
    return this.once(`client-config-id/${provider.clientName}/${pod}`, async () =>
      (await podHttpGet(provider.cluster, provider.namespace, pod, STATS_PORT, CONFIG_ID_PATH, POD_TIMEOUT_MS)).trim(),
    )
  }

  /** The ID a client's proxy should answer: that of its config rendered from the registry now. */
  expectedClientConfigId(provider: Provider): Promise<Got<string | undefined>> {
    return this.once(`client-config-id-expected/${provider.clientName}`, () => clientLive(this.home, provider).expectedId())
  }
}
