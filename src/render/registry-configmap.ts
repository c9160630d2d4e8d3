import {emptyRegistry, type Registry} from '../registry/types.js'
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

/** The registry and settings a registry ConfigMap's data holds (missing keys read as empty). */
export function registryFromData(data: Record<string, string> | undefined): {registry: Registry; settings: ServerSettings} {
  return {
    registry: {...emptyRegistry(), ...(JSON.parse(data?.[REGISTRY_KEY] ?? '{}') as Partial<Registry>)},
    settings: JSON.parse(data?.[SETTINGS_KEY] ?? '{}') as ServerSettings,
  }
}
