import {readFileSync} from 'node:fs'

const {version} = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version: string}

/** Images present on every test node (built by test/images/build.sh; nothing is ever pulled). */
export const IMAGES = {
  /** The product's image, as the plugin's default reference names it. */
  gateway: `ghcr.io/kubectl-svcgw/gateway:${version}`,
  /** Debian's busybox-static with every applet linked: httpd, wget, nc, nslookup, sleep, … */
  testbox: 'svcgw.test/testbox:1',
  pause: 'registry.k8s.io/pause:3.10.1',
} as const
