import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

/**
 * Builds of HAProxy and OpenVPN other than the installed ones, fetched from
 * Debian's archive by test/dataplane/fetch-versions.sh into the user's cache
 * (each with its libraries and a wrapper that runs it through its own ld.so).
 */
export interface Build {
  pkg: 'haproxy' | 'openvpn'
  /** Debian version, e.g. 3.0.11-1+deb13u4. */
  version: string
  /** Upstream series, e.g. 3.0. */
  series: string
  suite: string
  /** Executable wrapper. */
  bin: string
}

export const VERSIONS_DIR = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kubectl-svcgw', 'versions')

const seriesOf = (version: string) => version.split(/[.-]/).slice(0, 2).join('.')

export function fetchedBuilds(): Build[] {
  const index = join(VERSIONS_DIR, 'index.tsv')
  if (!existsSync(index)) return []
  return readFileSync(index, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pkg, version, suite, bin] = line.split('\t')
      return {pkg: pkg as Build['pkg'], version, series: seriesOf(version), suite, bin}
    })
    .filter((b) => existsSync(b.bin))
}

const newest = (builds: Build[]) =>
  builds.sort((a, b) => a.version.localeCompare(b.version, undefined, {numeric: true})).at(-1)

/** The build of a series (e.g. haproxy 3.0), or the newest of a package when series is 'newest'. */
export function findBuild(pkg: Build['pkg'], series: string): Build | undefined {
  const builds = fetchedBuilds().filter((b) => b.pkg === pkg)
  return series === 'newest' ? newest(builds) : newest(builds.filter((b) => b.series === series))
}

export const FETCH_HINT = 'bash test/dataplane/fetch-versions.sh'
