import {readFileSync} from 'node:fs'
import yaml from 'js-yaml'

import {usageError} from '../errors.js'
import type {ExposeRequest} from './expose.js'

interface ChartService {
  name?: unknown
  port?: unknown
  internalPort?: unknown
  clientService?: {name?: unknown; namespace?: unknown; port?: unknown}
}

/**
 * Reads the original Helm chart's values.yaml (or a file with just its
 * `services:` list), so its users can migrate with one command.
 */
export function readChartServices(path: string): ExposeRequest[] {
  let text: string
  try {
    text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8')
  } catch (error) {
    throw usageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'check the path given to -f')
  }
  let doc: unknown
  try {
    doc = yaml.load(text)
  } catch (error) {
    throw usageError(`${path} is not valid YAML (${(error as Error).message.split('\n')[0]})`, 'fix the file')
  }
  const services = (doc as {services?: unknown} | null)?.services ?? doc
  if (!Array.isArray(services)) throw usageError(`${path} has no services: list`, 'give the chart\'s values.yaml or a list of {name, port, internalPort, clientService}')
  return services.map((entry: ChartService, index) => {
    const where = `services[${index}] of ${path}`
    if (typeof entry?.name !== 'string' || typeof entry.port !== 'number' || typeof entry.clientService !== 'object') {
      throw usageError(`${where} is incomplete`, 'each entry needs name, port and clientService: {name, namespace, port}')
    }
    const cs = entry.clientService
    return {
      name: entry.name,
      port: entry.port,
      ...(typeof entry.internalPort === 'number' ? {internalPort: entry.internalPort} : {}),
      clientService: {
        name: String(cs.name ?? entry.name),
        namespace: String(cs.namespace ?? 'default'),
        port: typeof cs.port === 'number' ? cs.port : entry.port,
      },
    }
  })
}
