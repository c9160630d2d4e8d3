import {conflictError} from '../errors.js'
import {Cluster} from '../kube/cluster.js'
import type {KubeObject, Namespace} from '../kube/object.js'
import {LABEL_MANAGED_BY, MANAGED_BY, namespaceObject} from '../render/objects.js'

/** Set only on namespaces this tool created, so uninstall deletes those and no other. */
export const CREATED_BY_ANNOTATION = 'svcgw.dev/created-by'
/** On a namespace we relabelled (only when asked): its Pod Security labels before, to put back on uninstall. */
export const RELABELLED_ANNOTATION = 'svcgw.dev/pod-security-before'
export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce'
const ENFORCE_VERSION_LABEL = 'pod-security.kubernetes.io/enforce-version'

const nsRef = (name: string) => ({apiVersion: 'v1', kind: 'Namespace', name})

export interface NamespaceOptions {
  /** --relabel-namespace: allow raising an existing namespace to privileged. */
  relabel: boolean
  /** The flag that names the namespace, for the error: -n or --client-namespace. */
  flag: string
}

export interface PreparedNamespace {
  name: string
  created: boolean
  relabelled: boolean
}

/**
 * Makes the namespace ready for gateway pods, which need Pod Security
 * "privileged" (OpenVPN adds NET_ADMIN). A namespace we create is ours and
 * labelled so. An existing one is left exactly as it is when it already
 * admits the pods; a stricter one is changed only with --relabel-namespace,
 * remembering what it was so uninstall can restore it.
 */
export async function prepareNamespace(cluster: Cluster, name: string, options: NamespaceOptions): Promise<PreparedNamespace> {
  const existing = await cluster.read<Namespace>(nsRef(name))
  if (!existing) {
    const body = namespaceObject(name)
    body.metadata.annotations = {...body.metadata.annotations, [CREATED_BY_ANNOTATION]: MANAGED_BY}
    await cluster.create(body)
    return {name, created: true, relabelled: false}
  }
  if (existing.metadata.deletionTimestamp || existing.status?.phase === 'Terminating') {
    throw conflictError(`namespace "${name}" in context "${cluster.context}" is being deleted`, 'wait until it is gone and run the command again')
  }
  if (existing.metadata.annotations?.[CREATED_BY_ANNOTATION] === MANAGED_BY) {
    await cluster.apply(namespaceObject(name))
    return {name, created: false, relabelled: false}
  }
  const level = existing.metadata.labels?.[ENFORCE_LABEL]
  if (!level || level === 'privileged') return {name, created: false, relabelled: false}
  if (!options.relabel) {
    throw conflictError(
      `namespace "${name}" in context "${cluster.context}" enforces Pod Security "${level}", but the gateway's OpenVPN container needs "privileged" (it adds NET_ADMIN)`,
      `install into a namespace of its own (${options.flag} with a new name; the default svcgw is created for you), or allow relabelling this one with --relabel-namespace (uninstall puts "${level}" back)`,
    )
  }
  const before = {[ENFORCE_LABEL]: level, [ENFORCE_VERSION_LABEL]: existing.metadata.labels?.[ENFORCE_VERSION_LABEL] ?? null}
  if (!existing.metadata.annotations?.[RELABELLED_ANNOTATION]) {
    await cluster.mergePatch(nsRef(name), {
      metadata: {labels: {[ENFORCE_LABEL]: 'privileged', [ENFORCE_VERSION_LABEL]: null}, annotations: {[RELABELLED_ANNOTATION]: JSON.stringify(before)}},
    })
  }
  return {name, created: false, relabelled: true}
}

/** Undoes prepareNamespace for a failed install: deletes what it created, restores what it relabelled. */
export async function undoPrepare(cluster: Cluster, prepared: PreparedNamespace): Promise<void> {
  if (cluster.dryRun) return
  if (prepared.created) await cluster.remove(nsRef(prepared.name))
  else if (prepared.relabelled) await restoreLabels(cluster, prepared.name)
}

async function restoreLabels(cluster: Cluster, name: string): Promise<boolean> {
  const ns = await cluster.read<Namespace>(nsRef(name))
  const recorded = ns?.metadata.annotations?.[RELABELLED_ANNOTATION]
  if (!recorded) return false
  const before = JSON.parse(recorded) as Record<string, string | null>
  await cluster.mergePatch(nsRef(name), {metadata: {labels: before, annotations: {[RELABELLED_ANNOTATION]: null}}})
  return true
}

interface Listed {
  kind: string
  items: KubeObject[]
  builtIn?: (o: KubeObject) => boolean
}

/** Objects in the namespace that are neither ours nor put there by Kubernetes itself. */
export async function foreignObjects(cluster: Cluster, namespace: string): Promise<string[]> {
  const list = (apiVersion: string, kind: string) => cluster.list({apiVersion, kind, namespace})
  const [configMaps, secrets, services, deployments, pods] = await Promise.all([
    list('v1', 'ConfigMap'),
    list('v1', 'Secret'),
    list('v1', 'Service'),
    list('apps/v1', 'Deployment'),
    list('v1', 'Pod'),
  ])
  const groups: Listed[] = [
    {kind: 'configmap', items: configMaps, builtIn: (o) => o.metadata.name === 'kube-root-ca.crt'},
    {kind: 'secret', items: secrets, builtIn: (o) => o.type === 'kubernetes.io/service-account-token'},
    {kind: 'service', items: services},
    {kind: 'deployment', items: deployments},
    // Our Deployments' pods carry our labels too; another's are foreign.
    {kind: 'pod', items: pods},
  ]
  return groups.flatMap(({kind, items, builtIn}) =>
    items.filter((o) => o.metadata.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY && !builtIn?.(o)).map((o) => `${kind}/${o.metadata.name}`),
  )
}

export interface ReleasedNamespace {
  removed: boolean
  restored: boolean
  keptFor?: string[]
}

/**
 * At uninstall: deletes the namespace only if this tool created it and
 * nothing else lives there; puts back the labels of one it relabelled.
 */
export async function releaseNamespace(cluster: Cluster, name: string): Promise<ReleasedNamespace> {
  const ns = await cluster.read<Namespace>(nsRef(name))
  if (!ns) return {removed: false, restored: false}
  if (ns.metadata.annotations?.[CREATED_BY_ANNOTATION] !== MANAGED_BY) return {removed: false, restored: await restoreLabels(cluster, name)}
  const others = await foreignObjects(cluster, name)
  if (others.length > 0) return {removed: false, restored: false, keptFor: others}
  return {removed: await cluster.remove(nsRef(name)), restored: false}
}
