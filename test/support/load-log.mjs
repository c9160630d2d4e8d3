// `node --import ./load-log.mjs …` records every module file the process loads, one path or URL
// a line, in the file named by $SVCGW_LOAD_LOG: ES modules as they load (loader hook), CommonJS
// modules from require's cache at exit. The start-up test reads it to prove what a command never loads.
import {appendFileSync} from 'node:fs'
import {createRequire, register} from 'node:module'

const log = process.env.SVCGW_LOAD_LOG
if (log) {
  register('./load-log-hooks.mjs', import.meta.url)
  const cache = createRequire(import.meta.url).cache
  process.on('exit', () => appendFileSync(log, Object.keys(cache).map((p) => `${p}\n`).join('')))
}
