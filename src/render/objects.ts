import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import yaml from 'js-yaml'

import type {KubeObject} from '../kube/object.js'
import {selectorString} from '../kube/object.js'

export type {KubeObject} from '../kube/object.js'

export type Component = 'server' | 'client'

export const MANAGED_BY = 'kubectl-svcgw'
export const LABEL_NAME = 'app.kubernetes.io/name'
export const LABEL_COMPONENT = 'app.kubernetes.io/component'
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by'

/** Labels on every object we create: uninstall deletes by these and nothing else. */
export const labelsFor = (component: Component): Record<string, string> => ({
  [LABEL_NAME]: 'svcgw',
  [LABEL_COMPONENT]: component,
  [LABEL_MANAGED_BY]: MANAGED_BY,
})

export const selectorFor = (component: Component): Record<string, string> => ({
  [LABEL_NAME]: 'svcgw',
  [LABEL_COMPONENT]: component,
})

export const labelSelectorFor = (component: Component): string => selectorString(labelsFor(component))

// manifests/ sits two levels above both src/render and dist/render.
const MANIFESTS_DIR = fileURLToPath(new URL('../../manifests/', import.meta.url))

// Kept as JSON text: parsing it is the cheapest fresh copy (structuredClone of each template cost
// 0.1 s of an expose's CPU at 1000 services, one consumer Service each, rendered several times).
const templates = new Map<string, string>()

/** A fresh copy of a base manifest shipped in the package's manifests/ folder (each read and parsed once). */
export function baseManifest<T extends KubeObject = KubeObject>(relativePath: string): T {
  let template = templates.get(relativePath)
  if (template === undefined) {
    template = JSON.stringify(yaml.load(readFileSync(MANIFESTS_DIR + relativePath, 'utf8')))
    templates.set(relativePath, template)
  }
  return JSON.parse(template) as T
}

export function configMap(name: string, namespace: string, component: Component, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name, namespace, labels: labelsFor(component)},
    data,
  }
}

export function secret(
  name: string,
  namespace: string,
  component: Component,
  data: Record<string, string>,
  type = 'Opaque',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {name, namespace, labels: labelsFor(component)},
    type,
    // stringData is write-only sugar; data round-trips through server-side apply unchanged.
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  }
}

export function namespaceObject(name: string): KubeObject {
  const ns = baseManifest('common/namespace.yaml')
  ns.metadata.name = name
  ns.metadata.labels = {...ns.metadata.labels, [LABEL_MANAGED_BY]: MANAGED_BY}
  return ns
}

export function serviceAccount(namespace: string, component: Component): KubeObject {
  const sa = baseManifest('common/serviceaccount.yaml')
  sa.metadata.name = `svcgw-${component}`
  sa.metadata.namespace = namespace
  sa.metadata.labels = labelsFor(component)
  return sa
}

/** A stable digest of the inputs whose change needs a pod restart (not those reloaded in place). */
export function checksum(...parts: Array<Record<string, string> | string>): string {
  const hash = createHash('sha256')
  for (const part of parts) {
    if (typeof part === 'string') hash.update(part)
    else for (const key of Object.keys(part).sort()) hash.update(`${key}\0${part[key]}\0`)
  }
  return hash.digest('hex').slice(0, 16)
}
