import type {Registry} from '../registry/types.js'
import {configMap, type KubeObject} from './objects.js'
import {names} from './names.js'
import type {ServerSettings} from '../registry/settings.js'

export const REGISTRY_KEY = 'registry.json'
export const SETTINGS_KEY = 'settings.json'

/**
 * The single source of truth, stored in the server namespace. Compact JSON:
 * a ConfigMap holds at most 1 MiB and indentation would take a third of it
 * (`kubectl svcgw list -o yaml` prints it readably).
 */
export function registryConfigMap(registry: Registry, settings: ServerSettings, namespace: string): KubeObject {
  return configMap(names.registry, namespace, 'server', {
    [REGISTRY_KEY]: JSON.stringify(registry),
    [SETTINGS_KEY]: JSON.stringify(settings, null, 2),
  })
}
