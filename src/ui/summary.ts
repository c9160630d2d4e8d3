import type {KubeObject} from '../render/objects.js'

/** One line per object, as `kubectl apply --dry-run` prints them. */
export function describeObjects(objects: KubeObject[], verb: string): string {
  return objects
    .map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}${o.metadata.namespace ? ` -n ${o.metadata.namespace}` : ''} ${verb}`)
    .join('\n')
}
