// The largest number of services (each served by every one of P clients) whose registry and
// rendered ConfigMaps stay within Kubernetes' 1 MiB, found by bisection on the real renderers.
// Run: npx tsx bench/scale/limits.ts
import {SvcgwError} from '../../src/errors.js'
import {defaultSettings} from '../../src/registry/settings.js'
import {assertWithinLimits} from '../../src/render/limits.js'
import {syntheticRegistry} from './render.js'

const settings = {...defaultSettings({openvpn: 'img:1', haproxy: 'img:1'}), tunnelNetwork: '10.8.0.0/16'}

const fits = (services: number, clients: number): boolean => {
  try {
    assertWithinLimits(syntheticRegistry(services, clients), settings, 'svcgw')
    return true
  } catch (error) {
    if (error instanceof SvcgwError) return false
    throw error
  }
}

export function maxServices(clients: number): number {
  let [low, high] = [1, 20_000]
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    if (fits(mid, clients)) low = mid
    else high = mid - 1
  }
  return low
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  console.log('| clients serving every service | most services | the ConfigMap that limits |')
  console.log('| --- | --- | --- |')
  for (const clients of [1, 5, 20, 50, 200]) {
    const n = maxServices(clients)
    let limit = ''
    try {
      assertWithinLimits(syntheticRegistry(n + 1, clients), settings, 'svcgw')
    } catch (error) {
      limit = /ConfigMap (\S+) of ([^,]+?) [\d.]+ MiB/.exec((error as Error).message)?.slice(1, 3).join(' of ') ?? ''
    }
    console.log(`| ${clients} | ${n} | ${limit} |`)
  }
}
