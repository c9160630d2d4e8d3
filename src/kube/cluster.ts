import {CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy} from '@kubernetes/client-node'

import {SvcgwError} from '../errors.js'
import {DryRunJournal} from './dry-run.js'
import {mapKubeError} from './errors.js'
import {describeRef, type KubeObject, matchesSelector, type ObjectRef, refOf} from './object.js'
import {countRead, countWrite} from './stats.js'

export const FIELD_MANAGER = 'kubectl-svcgw'

export interface ListQuery {
  apiVersion: string
  kind: string
  namespace?: string
  labelSelector?: string
}

/** The client library hands back class instances with Date fields: make them the API's JSON again. */
const plain = <T>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T

const headerOf = (ref: ObjectRef) => ({
  apiVersion: ref.apiVersion,
  kind: ref.kind,
  metadata: {name: ref.name, ...(ref.namespace ? {namespace: ref.namespace} : {})},
})

const isNotFound = (error: unknown): boolean => (error as {code?: number}).code === 404

/**
 * One cluster reached through one kubeconfig context, offering the few
 * typed operations the gateway needs. Each has its own KubeConfig, so
 * credentials are never mixed between contexts. With a dry-run journal,
 * every write is the apiserver's own dry run (`dryRun=All`: validation and
 * admission run, nothing is stored) and is remembered, so that later reads
 * in the same command see what it would have written.
 */
export class Cluster {
  private readonly objects: KubernetesObjectApi

  constructor(
    readonly context: string,
    /** @internal For exec, logs and port-forward in src/kube only. */
    readonly kc: KubeConfig,
    /** The context's own namespace, if it sets one. */
    readonly contextNamespace: string | undefined,
    readonly journal?: DryRunJournal,
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kc)
  }

  get dryRun(): boolean {
    return this.journal !== undefined
  }

  /** The API server URL: two contexts with the same one are the same cluster. */
  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? ''
  }

  /** Runs one API call, turning its failure into a one-line error that names this context. */
  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw mapKubeError(error, this.context, doing)
    }
  }

  private get dryRunParam(): string | undefined {
    return this.journal ? 'All' : undefined
  }

  /**
   * Whether the apiserver serves this kind (e.g. cert-manager's CRDs are
   * installed). Discovery only: needs no permission on the objects.
   */
  async serves(apiVersion: string, kind: string): Promise<boolean> {
    try {
      await this.objects.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, undefined, 1)
      return true
    } catch (error) {
      const message = (error as Error).message ?? ''
      if (isNotFound(error) || /Unrecognized API version and kind/.test(message)) return false
      // Served, but this user may not list them cluster-wide.
      if ((error as {code?: number}).code === 403) return true
      throw mapKubeError(error, this.context, `looking up ${kind.toLowerCase()}s`)
    }
  }

  /**
   * Replaces a custom object's status subresource (e.g. the Issuing
   * condition that makes cert-manager issue again, as `cmctl renew` sets
   * it), with the resourceVersion the object carries: a concurrent change is
   * a conflict error and the caller re-reads. `plural` is the resource name.
   */
  async replaceStatus<T extends KubeObject = KubeObject>(object: KubeObject, plural: string): Promise<T> {
    const ref = refOf(object)
    const [group, version] = object.apiVersion.split('/')
    const before = this.journal && !this.journal.has(ref) ? await this.readLive(ref) : undefined
    const api = this.kc.makeApiClient(CustomObjectsApi)
    const result = plain<T>(
      await this.call(`updating the status of ${describeRef(ref)}`, () =>
        api.replaceNamespacedCustomObjectStatus({group, version, namespace: ref.namespace ?? '', plural, name: ref.name, body: object, dryRun: this.dryRunParam, fieldManager: FIELD_MANAGER}),
      ),
    )
    this.journal?.record(ref, before, result, true)
    return result
  }

  /** In a dry run, whether the apiserver can validate writes in this namespace (it exists). */
  private canValidate(namespace: string | undefined): boolean {
    return !namespace || !this.journal?.pendingNamespaces.has(namespace)
  }

  /** The live object, ignoring the journal: what a dry run compares against. */
  private async readLive<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    countRead()
    try {
      return plain<T>(await this.objects.read(headerOf(ref)))
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw mapKubeError(error, this.context, `reading ${describeRef(ref)}`)
    }
  }

  /** The object, or undefined when it does not exist (or a dry run deleted it). */
  async read<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const journaled = this.journal?.get(ref)
    if (journaled) return journaled.after as T | undefined
    return this.readLive<T>(ref)
  }

  async list<T extends KubeObject = KubeObject>(query: ListQuery): Promise<T[]> {
    countRead()
    const listed = await this.call(`listing ${query.kind.toLowerCase()}s`, () =>
      this.objects.list(query.apiVersion, query.kind, query.namespace, undefined, undefined, undefined, undefined, query.labelSelector),
    )
    const items = plain<T[]>(listed.items).map((item) => ({...item, apiVersion: query.apiVersion, kind: query.kind}))
    if (!this.journal) return items
    // A dry run sees its own creations and deletions in what it lists.
    const journal = this.journal
    const kept = items.flatMap((item) => {
      const entry = journal.get(refOf(item))
      return entry ? (entry.after ? [entry.after as T] : []) : [item]
    })
    const created = journal
      .list()
      .filter((e) => !e.before && e.after && e.ref.kind === query.kind && e.ref.apiVersion === query.apiVersion)
      .filter((e) => !query.namespace || e.ref.namespace === query.namespace)
      .filter((e) => matchesSelector(e.after!.metadata.labels, query.labelSelector))
      .map((e) => e.after as T)
    return [...kept, ...created.filter((c) => !kept.some((k) => k.metadata.name === c.metadata.name && k.metadata.namespace === c.metadata.namespace))]
  }

  /** Server-side apply with our field manager; force, since we own these objects. */
  async apply<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    const ref = refOf(object)
    const doing = `applying ${describeRef(ref)}`
    if (this.journal && !this.canValidate(ref.namespace)) return this.journalUnvalidated(object) as T
    const before = this.journal && !this.journal.has(ref) ? await this.readLive(ref) : undefined
    countWrite(describeRef(ref), object)
    const result = plain<T>(
      await this.call(doing, () =>
        this.objects.patch(object as KubernetesObject, undefined, this.dryRunParam, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
      ),
    )
    this.journal?.record(ref, before, result, true)
    return result
  }

  /** Creates the object; one that exists already is a conflict error. */
  async create<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    const ref = refOf(object)
    if (this.journal && !this.canValidate(ref.namespace)) return this.journalUnvalidated(object) as T
    countWrite(describeRef(ref), object)
    const result = plain<T>(await this.call(`creating ${describeRef(ref)}`, () => this.objects.create(object as KubernetesObject, undefined, this.dryRunParam, FIELD_MANAGER)))
    this.journal?.record(ref, undefined, result, true)
    if (this.journal && object.kind === 'Namespace') this.journal.pendingNamespaces.add(object.metadata.name)
    return result
  }

  /**
   * Replaces the object only if it still has the resourceVersion it
   * carries (optimistic concurrency): someone else's write in between is a
   * conflict error, and the caller re-reads.
   */
  async replace<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    const ref = refOf(object)
    if (this.journal && !this.canValidate(ref.namespace)) return this.journalUnvalidated(object) as T
    const journaled = this.journal?.get(ref)
    if (journaled && !journaled.before) {
      // Created earlier in this dry run, so the apiserver knows nothing to replace: validate it as a creation.
      const body = {...object, metadata: {...object.metadata, resourceVersion: undefined}}
      const result = plain<T>(await this.call(`writing ${describeRef(ref)}`, () => this.objects.create(body as KubernetesObject, undefined, 'All', FIELD_MANAGER)))
      this.journal!.record(ref, undefined, result, true)
      return result
    }
    // A dry run's second write of an object still has to name the live version.
    const body = journaled?.before ? {...object, metadata: {...object.metadata, resourceVersion: journaled.before.metadata.resourceVersion}} : object
    const before = this.journal && !journaled ? await this.readLive(ref) : undefined
    countWrite(describeRef(ref), body)
    const result = plain<T>(await this.call(`writing ${describeRef(ref)}`, () => this.objects.replace(body as KubernetesObject, undefined, this.dryRunParam, FIELD_MANAGER)))
    this.journal?.record(ref, before, result, true)
    return result
  }

  /** A JSON merge patch (RFC 7386): null removes a key. */
  async mergePatch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T> {
    const before = this.journal && !this.journal.has(ref) ? await this.readLive(ref) : undefined
    const body = {...headerOf(ref), ...patch, metadata: {...headerOf(ref).metadata, ...(patch.metadata as object | undefined)}}
    countWrite(describeRef(ref), body)
    const result = plain<T>(
      await this.call(`patching ${describeRef(ref)}`, () =>
        this.objects.patch(body as KubernetesObject, undefined, this.dryRunParam, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
      ),
    )
    this.journal?.record(ref, before, result, true)
    return result
  }

  /** Deletes the object; a missing one is already the wanted state. */
  async remove(ref: ObjectRef): Promise<boolean> {
    const before = this.journal && !this.journal.has(ref) ? await this.readLive(ref) : undefined
    if (this.journal?.has(ref) && !this.journal.get(ref)!.after) return false
    countWrite(describeRef(ref))
    try {
      await this.objects.delete(headerOf(ref), undefined, this.dryRunParam, undefined, undefined, 'Background')
    } catch (error) {
      if (isNotFound(error)) {
        // Created earlier in this dry run, so unknown to the apiserver: just forget it.
        if (this.journal?.get(ref)?.after) this.journal.record(ref, undefined, undefined, true)
        return false
      }
      throw mapKubeError(error, this.context, `deleting ${describeRef(ref)}`)
    }
    this.journal?.record(ref, before, undefined, true)
    return true
  }

  /**
   * Deletes every Service a selector matches in one request (DELETE on the
   * collection), instead of one request per Service. In a dry run the
   * apiserver checks it, and the journal records each one gone.
   */
  async removeServices(namespace: string, labelSelector: string): Promise<number> {
    const items = await this.list({apiVersion: 'v1', kind: 'Service', namespace, labelSelector})
    if (items.length === 0) return 0
    countWrite(`services (${items.length}, by selector)`)
    const core = this.kc.makeApiClient(CoreV1Api)
    await this.call(`deleting services matching ${labelSelector}`, () => core.deleteCollectionNamespacedService({namespace, labelSelector, dryRun: this.dryRunParam}))
    for (const item of items) {
      const ref = refOf(item)
      this.journal?.record(ref, item, undefined, true)
    }
    return items.length
  }

  /** In a namespace this dry run would create, the apiserver cannot check anything: record the object as given. */
  private journalUnvalidated(object: KubeObject): KubeObject {
    this.journal!.record(refOf(object), undefined, object, false)
    return object
  }
}

/** A 409 from create/replace: the object exists, or changed since it was read. */
export const isConflict = (error: unknown): boolean => error instanceof SvcgwError && error.errorClass === 'conflict'
